DROP INDEX calls_callback_due;
ALTER TABLE calls DROP COLUMN callback_error;
ALTER TABLE calls DROP COLUMN callback_due_at;
ALTER TABLE calls DROP COLUMN callback_attempts;
ALTER TABLE calls DROP COLUMN callback_status;
