-- Event triggers: each runs one route for the messages of its source that
-- its filter matches. source and filter are JSON objects. admin is set when
-- an administrator last wrote the row (it may name any broker object and
-- receives notifications of every project). The status columns are
-- counters the consumers add to; they never advance the generation.
-- Deleting a route deletes its triggers (ON DELETE CASCADE).

CREATE TABLE triggers (
    id                CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    project_id        VARCHAR(64) NOT NULL,
    name              VARCHAR(255) NOT NULL,
    app_id            CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    route_path        VARCHAR(255) NOT NULL,
    source            TEXT NOT NULL,
    filter            MEDIUMTEXT NOT NULL,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    admin             BOOLEAN NOT NULL DEFAULT FALSE,
    messages_received BIGINT NOT NULL DEFAULT 0,
    calls_created     BIGINT NOT NULL DEFAULT 0,
    failures          BIGINT NOT NULL DEFAULT 0,
    dead_lettered     BIGINT NOT NULL DEFAULT 0,
    last_error        VARCHAR(1024) NOT NULL DEFAULT '',
    last_error_at     DATETIME(6) NULL,
    created_at        DATETIME(6) NOT NULL,
    updated_at        DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY triggers_project_name (project_id, name),
    KEY triggers_project (project_id, id),
    KEY triggers_enabled (enabled),
    CONSTRAINT triggers_route FOREIGN KEY (app_id, route_path) REFERENCES routes (app_id, path) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
