ALTER TABLE routes DROP COLUMN max_attempts;
ALTER TABLE routes DROP COLUMN record_sync;
ALTER TABLE routes DROP COLUMN callback_url;
DROP TABLE calls;
