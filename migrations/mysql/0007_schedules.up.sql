-- Schedules: a route run on a cron pattern. next_run_at is the tick that
-- fires next (NULL once count runs happened); replicas fire a tick by an
-- UPDATE conditional on it, so exactly one of them advances each tick.
-- input is the JSON document sent to the function ('' = no body).
-- Deleting a route deletes its schedules (ON DELETE CASCADE).

CREATE TABLE schedules (
    id          CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    project_id  VARCHAR(64) NOT NULL,
    app_id      CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    route_path  VARCHAR(255) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    pattern     VARCHAR(255) NOT NULL,
    timezone    VARCHAR(64) NOT NULL,
    start_at    DATETIME(6) NULL,
    count       INT NOT NULL DEFAULT 0,
    input       MEDIUMTEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    next_run_at DATETIME(6) NULL,
    last_run_at DATETIME(6) NULL,
    runs        INT NOT NULL DEFAULT 0,
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY schedules_project_name (project_id, name),
    KEY schedules_project (project_id, id),
    KEY schedules_due (enabled, next_run_at),
    CONSTRAINT schedules_route FOREIGN KEY (app_id, route_path) REFERENCES routes (app_id, path) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
