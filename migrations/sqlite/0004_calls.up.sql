-- Durable executions: every async call is a row, and the row is the queue
-- item. due_at is when a worker should next look at the call: NotBefore
-- while it waits (queued, or failed with another attempt to come), the
-- end of the lease while it runs, NULL once it is final. Workers take rows
-- with due_at <= now through the calls_due index, so finished history
-- costs the queue nothing. Times are Unix microseconds, so that lease
-- arithmetic is the same plain addition in both databases.
CREATE TABLE calls (
    id               TEXT NOT NULL PRIMARY KEY,
    project_id       TEXT NOT NULL,
    app_id           TEXT NOT NULL,
    app_name         TEXT NOT NULL,
    route_path       TEXT NOT NULL,
    status           TEXT NOT NULL,
    trigger_kind     TEXT NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    timeout_us       INTEGER NOT NULL,
    idempotency_key  TEXT NULL,
    callback_url     TEXT NOT NULL DEFAULT '',
    request_id       TEXT NOT NULL DEFAULT '',
    request_method   TEXT NOT NULL,
    request_query    TEXT NOT NULL,
    request_headers  TEXT NOT NULL,
    request_body     BLOB NOT NULL,
    created_at       INTEGER NOT NULL,
    not_before       INTEGER NOT NULL,
    started_at       INTEGER NOT NULL DEFAULT 0,
    finished_at      INTEGER NOT NULL DEFAULT 0,
    due_at           INTEGER NULL,
    lease_owner      TEXT NOT NULL DEFAULT '',
    http_status      INTEGER NOT NULL DEFAULT 0,
    result           BLOB NOT NULL,
    result_truncated BOOLEAN NOT NULL DEFAULT 0,
    log              BLOB NOT NULL,
    error            TEXT NOT NULL DEFAULT '',
    CONSTRAINT calls_idempotency UNIQUE (project_id, idempotency_key)
);

CREATE INDEX calls_due ON calls (due_at);
CREATE INDEX calls_project ON calls (project_id, id);
CREATE INDEX calls_project_status ON calls (project_id, status);
CREATE INDEX calls_status ON calls (status, created_at);
CREATE INDEX calls_created ON calls (created_at);

-- Route settings of the execution core: where results are posted, whether
-- sync calls are recorded too, and how many attempts an async call gets
-- (0 = the operator's default).
ALTER TABLE routes ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';
ALTER TABLE routes ADD COLUMN record_sync BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE routes ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 0;
