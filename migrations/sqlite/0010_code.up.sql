-- Uploaded function code; see the MySQL migration for the layout.
CREATE TABLE code_blobs (
    sha256     TEXT NOT NULL PRIMARY KEY,
    size       INTEGER NOT NULL,
    created_at DATETIME NOT NULL
);

CREATE TABLE code_chunks (
    sha256 TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (sha256, seq)
);

CREATE TABLE code_versions (
    app_id     TEXT NOT NULL,
    path       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    format     TEXT NOT NULL,
    file_name  TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    PRIMARY KEY (app_id, path, version)
);
CREATE INDEX code_versions_sha256 ON code_versions (sha256);

ALTER TABLE routes ADD COLUMN runtime TEXT NOT NULL DEFAULT '';
ALTER TABLE routes ADD COLUMN handler TEXT NOT NULL DEFAULT '';
ALTER TABLE routes ADD COLUMN code_version INTEGER NOT NULL DEFAULT 0;
