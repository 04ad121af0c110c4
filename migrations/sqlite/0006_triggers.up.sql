-- Event triggers: each runs one route for the messages of its source that
-- its filter matches. source and filter are JSON objects. admin is set when
-- an administrator last wrote the row (it may name any broker object and
-- receives notifications of every project). The status columns are
-- counters the consumers add to; they never advance the generation.
-- Deleting a route deletes its triggers (ON DELETE CASCADE).

CREATE TABLE triggers (
    id                TEXT NOT NULL PRIMARY KEY,
    project_id        TEXT NOT NULL,
    name              TEXT NOT NULL,
    app_id            TEXT NOT NULL,
    route_path        TEXT NOT NULL,
    source            TEXT NOT NULL,
    filter            TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    admin             BOOLEAN NOT NULL DEFAULT FALSE,
    messages_received INTEGER NOT NULL DEFAULT 0,
    calls_created     INTEGER NOT NULL DEFAULT 0,
    failures          INTEGER NOT NULL DEFAULT 0,
    dead_lettered     INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT NOT NULL DEFAULT '',
    last_error_at     DATETIME NULL,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL,
    CONSTRAINT triggers_project_name UNIQUE (project_id, name),
    FOREIGN KEY (app_id, route_path) REFERENCES routes (app_id, path) ON DELETE CASCADE
);

CREATE INDEX triggers_project ON triggers (project_id, id);
CREATE INDEX triggers_enabled ON triggers (enabled);
