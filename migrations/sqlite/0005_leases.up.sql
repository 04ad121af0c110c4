-- Named leases for work one replica at a time must do (the retention
-- purge): the row's owner holds it until expires_at (Unix microseconds).
CREATE TABLE leases (
    name       TEXT NOT NULL PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
