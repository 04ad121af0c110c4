ALTER TABLE routes DROP COLUMN runtime, DROP COLUMN handler, DROP COLUMN code_version;
DROP TABLE code_versions;
DROP TABLE code_chunks;
DROP TABLE code_blobs;
