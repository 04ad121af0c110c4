-- Durable callbacks: the statement that makes a call final (succeeded or
-- dead) with a callback URL also marks its callback pending, so a replica
-- that dies before delivering leaves the callback to the others, as it
-- leaves its calls. callback_due_at is the callbacks' queue, as due_at is
-- the calls': when a pending callback may next be sent (its backoff), or
-- when the delivery lease of a replica sending it ends; NULL when none is
-- pending. callback_status is '' (no callback), pending, delivered or
-- failed (every attempt refused); callback_error is the last attempt's.
ALTER TABLE calls
    ADD COLUMN callback_status VARCHAR(16) NOT NULL DEFAULT '',
    ADD COLUMN callback_attempts INT NOT NULL DEFAULT 0,
    ADD COLUMN callback_due_at BIGINT NULL,
    ADD COLUMN callback_error VARCHAR(1024) NOT NULL DEFAULT '',
    ADD KEY calls_callback_due (callback_due_at);
