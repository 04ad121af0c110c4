-- Durable executions: every async call is a row, and the row is the queue
-- item. due_at is when a worker should next look at the call: NotBefore
-- while it waits (queued, or failed with another attempt to come), the
-- end of the lease while it runs, NULL once it is final. Workers take rows
-- with due_at <= now through the calls_due index, so finished history
-- costs the queue nothing. Times are Unix microseconds (BIGINT), so that
-- lease arithmetic is the same plain addition in both databases.
CREATE TABLE calls (
    id               CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    project_id       VARCHAR(64) NOT NULL,
    app_id           CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    app_name         VARCHAR(64) NOT NULL,
    route_path       VARCHAR(255) NOT NULL,
    status           VARCHAR(16) NOT NULL,
    trigger_kind     VARCHAR(16) NOT NULL,
    attempt          INT NOT NULL DEFAULT 0,
    max_attempts     INT NOT NULL,
    timeout_us       BIGINT NOT NULL,
    idempotency_key  VARCHAR(255) NULL,
    callback_url     VARCHAR(2048) NOT NULL DEFAULT '',
    request_id       VARCHAR(128) NOT NULL DEFAULT '',
    request_method   VARCHAR(16) NOT NULL,
    request_query    TEXT NOT NULL,
    request_headers  MEDIUMTEXT NOT NULL,
    request_body     MEDIUMBLOB NOT NULL,
    created_at       BIGINT NOT NULL,
    not_before       BIGINT NOT NULL,
    started_at       BIGINT NOT NULL DEFAULT 0,
    finished_at      BIGINT NOT NULL DEFAULT 0,
    due_at           BIGINT NULL,
    lease_owner      VARCHAR(64) NOT NULL DEFAULT '',
    http_status      INT NOT NULL DEFAULT 0,
    result           MEDIUMBLOB NOT NULL,
    result_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    log              MEDIUMBLOB NOT NULL,
    error            VARCHAR(1024) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    UNIQUE KEY calls_idempotency (project_id, idempotency_key),
    KEY calls_due (due_at),
    KEY calls_project (project_id, id),
    KEY calls_project_status (project_id, status),
    KEY calls_status (status, created_at),
    KEY calls_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Route settings of the execution core: where results are posted, whether
-- sync calls are recorded too, and how many attempts an async call gets
-- (0 = the operator's default).
ALTER TABLE routes
    ADD COLUMN callback_url VARCHAR(2048) NOT NULL DEFAULT '',
    ADD COLUMN record_sync BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN max_attempts INT NOT NULL DEFAULT 0;
