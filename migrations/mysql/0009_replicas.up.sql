-- What several replicas on one database need to agree on. Times are Unix
-- microseconds, as in calls and leases.

-- One row per app name ever written, never deleted: a management
-- operation on an app holds its row FOR UPDATE from its first store write
-- to its last compensation, so replicas take turns on one app. The row
-- exists before the app does (creates lock it too) and after it is gone.
CREATE TABLE app_locks (
    backend_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (backend_name)
) ENGINE=InnoDB;

-- The change feed: every write of an app or a route appends the keys it
-- changed (path '' stands for the whole app). Replicas tail it from the
-- last id they read to drop exactly those entries from their route
-- caches; rows older than the feed's retention are pruned.
CREATE TABLE changes (
    id           BIGINT NOT NULL AUTO_INCREMENT,
    backend_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    path         VARCHAR(255) NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (id),
    KEY changes_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Signatures of accepted signed webhook calls, until their timestamps fall
-- out of the window: a second insert of the same key is a replay, on
-- whichever replica it arrives.
CREATE TABLE webhook_replays (
    replay_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (replay_key),
    KEY webhook_replays_expires (expires_at)
) ENGINE=InnoDB;

-- One heartbeat row per running replica, renewed well within expires_at;
-- the live replicas are the rows that have not expired.
CREATE TABLE replicas (
    id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    started_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (id),
    KEY replicas_expires (expires_at)
) ENGINE=InnoDB;
