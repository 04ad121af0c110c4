ALTER TABLE calls
    DROP KEY calls_callback_due,
    DROP COLUMN callback_error,
    DROP COLUMN callback_due_at,
    DROP COLUMN callback_attempts,
    DROP COLUMN callback_status;
