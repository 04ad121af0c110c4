-- Uploaded function code. code_blobs holds each distinct upload once,
-- addressed by its SHA-256, in chunks of at most 4 MiB (one chunk per
-- statement stays below the server's max_allowed_packet). code_versions
-- holds each route's current version, which references a blob; a blob
-- that no version references is deleted with the last reference.
CREATE TABLE code_blobs (
    sha256     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    size       BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (sha256)
) ENGINE=InnoDB;

CREATE TABLE code_chunks (
    sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    seq    INT NOT NULL,
    data   MEDIUMBLOB NOT NULL,
    PRIMARY KEY (sha256, seq)
) ENGINE=InnoDB;

CREATE TABLE code_versions (
    app_id     CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    path       VARCHAR(255) NOT NULL,
    version    BIGINT NOT NULL,
    sha256     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    size       BIGINT NOT NULL,
    format     VARCHAR(16) NOT NULL,
    file_name  VARCHAR(255) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (app_id, path, version),
    KEY code_versions_sha256 (sha256)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A route runs an image, or uploaded code in a runtime (code_version is
-- the version it runs, 0 before the first upload).
ALTER TABLE routes
    ADD COLUMN runtime VARCHAR(32) NOT NULL DEFAULT '',
    ADD COLUMN handler VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN code_version BIGINT NOT NULL DEFAULT 0;
