-- 0003: a SeedRun cancelled through spec.cancel is closed as 'cancelled' (its report's outcome).
ALTER TABLE seeding.runs
    DROP CONSTRAINT runs_status_check,
    ADD CONSTRAINT runs_status_check
        CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled'));
