-- Webhooks: unauthenticated entry points to a route. The URL token is
-- stored only as its SHA-256 (token_hash), so a dump reveals no live URL;
-- secret is the HMAC key signed calls are checked with ('' = unsigned).
-- Deleting a route deletes its webhooks (ON DELETE CASCADE; the store
-- turns foreign keys on for every connection).

CREATE TABLE webhooks (
    id          TEXT NOT NULL PRIMARY KEY,
    app_id      TEXT NOT NULL,
    route_path  TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    token_hash  TEXT NOT NULL,
    secret      TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    CONSTRAINT webhooks_token_hash UNIQUE (token_hash),
    FOREIGN KEY (app_id, route_path) REFERENCES routes (app_id, path) ON DELETE CASCADE
);

CREATE INDEX webhooks_route ON webhooks (app_id, route_path, id);
