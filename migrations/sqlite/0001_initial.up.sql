-- Text compares byte for byte (SQLite's default BINARY collation), so app
-- names and route paths are case-sensitive, as on MySQL with utf8mb4_bin.
-- Timestamps are stored as text in UTC, which the driver parses back into
-- time.Time because the columns are declared DATETIME.

CREATE TABLE apps (
    id           TEXT NOT NULL PRIMARY KEY,
    project_id   TEXT NOT NULL,
    name         TEXT NOT NULL,
    backend_name TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    config       TEXT NOT NULL DEFAULT '{}',
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    CONSTRAINT apps_project_name UNIQUE (project_id, name),
    CONSTRAINT apps_backend_name UNIQUE (backend_name)
);

-- The foreign key is NO ACTION rather than RESTRICT: both refuse to delete
-- an app with routes, but SQLite reports RESTRICT as a trigger failure and
-- NO ACTION as the foreign key failure it is.
CREATE TABLE routes (
    app_id          TEXT NOT NULL REFERENCES apps (id),
    path            TEXT NOT NULL,
    type            TEXT NOT NULL,
    image           TEXT NOT NULL,
    is_public       BOOLEAN NOT NULL DEFAULT FALSE,
    memory          INTEGER NOT NULL,
    timeout         INTEGER NOT NULL,
    max_concurrency INTEGER NOT NULL,
    format          TEXT NOT NULL,
    config          TEXT NOT NULL DEFAULT '{}',
    headers         TEXT NOT NULL DEFAULT '{}',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    PRIMARY KEY (app_id, path)
);

-- One row that every write increments in its own transaction, so that
-- readers can tell with one cheap query whether their caches are stale.
CREATE TABLE generation (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);

INSERT INTO generation (id, counter) VALUES (1, 0);
