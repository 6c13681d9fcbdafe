-- 0002: what a run's report is built from, kept with the run (seedctl report RUN_ID rebuilds it).
ALTER TABLE seeding.runs
    ADD COLUMN manifest_path text,
    ADD COLUMN profile jsonb,
    ADD COLUMN batches jsonb,
    ADD COLUMN trace_id text,
    ADD COLUMN span_id text;
