ALTER TABLE routes DROP COLUMN callback_url, DROP COLUMN record_sync, DROP COLUMN max_attempts;
DROP TABLE calls;
