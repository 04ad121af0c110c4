-- One row per project that creates bounded by a count limit lock first
-- (UPDATE of the row inside the create's transaction). Concurrent creates
-- of one project then count and insert one after the other, so two of
-- them can never both take the project's last slot.
CREATE TABLE quota_locks (
    project_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (project_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
