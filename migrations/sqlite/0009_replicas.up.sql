-- What several replicas on one database need to agree on (see the MySQL
-- migration for the reasons). Times are Unix microseconds. SQLite serves
-- one replica, whose in-process lock serialises the operations on an app,
-- so it has no app_locks.

-- Without AUTOINCREMENT an id is the largest plus one: the prune keeps
-- the newest row, so ids never go back.
CREATE TABLE changes (
    id           INTEGER PRIMARY KEY,
    backend_name TEXT NOT NULL,
    path         TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX changes_created ON changes (created_at);

CREATE TABLE webhook_replays (
    replay_key TEXT NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX webhook_replays_expires ON webhook_replays (expires_at);

CREATE TABLE replicas (
    id         TEXT NOT NULL PRIMARY KEY,
    started_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX replicas_expires ON replicas (expires_at);
