-- One row per project that creates bounded by a count limit lock first
-- (UPDATE of the row inside the create's transaction). SQLite's
-- transactions already run one at a time (the store begins them
-- IMMEDIATE); the table keeps both databases on the same queries.
CREATE TABLE quota_locks (
    project_id TEXT NOT NULL PRIMARY KEY
);
