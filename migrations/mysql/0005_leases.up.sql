-- Named leases for work one replica at a time must do (the retention
-- purge): the row's owner holds it until expires_at (Unix microseconds).
CREATE TABLE leases (
    name       VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    owner      VARCHAR(64) NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
