-- Routes may pass the caller's token on to their function (off by default).
ALTER TABLE routes ADD COLUMN forward_token BOOLEAN NOT NULL DEFAULT 0;
