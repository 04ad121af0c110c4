-- Durable callbacks: the statement that makes a call final (succeeded or
-- dead) with a callback URL also marks its callback pending, so a replica
-- that dies before delivering leaves the callback to the others, as it
-- leaves its calls. callback_due_at is the callbacks' queue, as due_at is
-- the calls': when a pending callback may next be sent (its backoff), or
-- when the delivery lease of a replica sending it ends; NULL when none is
-- pending. callback_status is '' (no callback), pending, delivered or
-- failed (every attempt refused); callback_error is the last attempt's.
ALTER TABLE calls ADD COLUMN callback_status TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN callback_due_at INTEGER NULL;
ALTER TABLE calls ADD COLUMN callback_error TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_callback_due ON calls (callback_due_at);
