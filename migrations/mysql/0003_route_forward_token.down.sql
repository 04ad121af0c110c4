ALTER TABLE routes DROP COLUMN forward_token;
