-- Schedules: a route run on a cron pattern. next_run_at is the tick that
-- fires next (NULL once count runs happened); replicas fire a tick by an
-- UPDATE conditional on it, so exactly one of them advances each tick.
-- input is the JSON document sent to the function ('' = no body).
-- Deleting a route deletes its schedules (ON DELETE CASCADE; the store
-- turns foreign keys on for every connection).

CREATE TABLE schedules (
    id          TEXT NOT NULL PRIMARY KEY,
    project_id  TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    route_path  TEXT NOT NULL,
    name        TEXT NOT NULL,
    pattern     TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    start_at    DATETIME NULL,
    count       INTEGER NOT NULL DEFAULT 0,
    input       TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    next_run_at DATETIME NULL,
    last_run_at DATETIME NULL,
    runs        INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    CONSTRAINT schedules_project_name UNIQUE (project_id, name),
    FOREIGN KEY (app_id, route_path) REFERENCES routes (app_id, path) ON DELETE CASCADE
);

CREATE INDEX schedules_project ON schedules (project_id, id);
CREATE INDEX schedules_due ON schedules (enabled, next_run_at);
