-- Every text column compares byte for byte (utf8mb4_bin): app names and
-- route paths are case-sensitive, exactly as SQLite compares them.

CREATE TABLE apps (
    id           CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    project_id   VARCHAR(64) NOT NULL,
    name         VARCHAR(64) NOT NULL,
    backend_name VARCHAR(64) NOT NULL,
    description  VARCHAR(1024) NOT NULL DEFAULT '',
    -- JSON object of strings; MEDIUMTEXT because the validated maximum
    -- (100 entries of up to 4 KiB) does not fit in TEXT.
    config       MEDIUMTEXT NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY apps_project_name (project_id, name),
    UNIQUE KEY apps_backend_name (backend_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE routes (
    app_id          CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    path            VARCHAR(255) NOT NULL,
    type            VARCHAR(16) NOT NULL,
    image           VARCHAR(255) NOT NULL,
    is_public       BOOLEAN NOT NULL DEFAULT FALSE,
    memory          INT NOT NULL,
    timeout         INT NOT NULL,
    max_concurrency INT NOT NULL,
    format          VARCHAR(16) NOT NULL,
    config          MEDIUMTEXT NOT NULL,
    headers         MEDIUMTEXT NOT NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id, path),
    CONSTRAINT routes_app FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row that every write increments in its own transaction, so that
-- replicas can tell with one cheap query whether their caches are stale.
CREATE TABLE generation (
    id      TINYINT NOT NULL,
    counter BIGINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT generation_single_row CHECK (id = 1)
) ENGINE=InnoDB;

INSERT INTO generation (id, counter) VALUES (1, 0);
