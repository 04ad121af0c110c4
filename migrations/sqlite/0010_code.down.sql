ALTER TABLE routes DROP COLUMN code_version;
ALTER TABLE routes DROP COLUMN handler;
ALTER TABLE routes DROP COLUMN runtime;
DROP TABLE code_versions;
DROP TABLE code_chunks;
DROP TABLE code_blobs;
