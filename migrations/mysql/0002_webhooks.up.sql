-- Webhooks: unauthenticated entry points to a route. The URL token is
-- stored only as its SHA-256 (token_hash), so a dump reveals no live URL;
-- secret is the HMAC key signed calls are checked with ('' = unsigned).
-- Deleting a route deletes its webhooks (ON DELETE CASCADE).

CREATE TABLE webhooks (
    id          CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    app_id      CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    route_path  VARCHAR(255) NOT NULL,
    description VARCHAR(1024) NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    token_hash  CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    secret      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    created_at  DATETIME(6) NOT NULL,
    updated_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY webhooks_token_hash (token_hash),
    KEY webhooks_route (app_id, route_path, id),
    CONSTRAINT webhooks_route FOREIGN KEY (app_id, route_path) REFERENCES routes (app_id, path) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
