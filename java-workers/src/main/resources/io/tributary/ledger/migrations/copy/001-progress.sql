-- copy: live progress of a chunked copy, so `tributary status` shows rows, rate and ETA while it runs.
ALTER TABLE {s}.table_status
    ADD COLUMN chunk_key       text,
    ADD COLUMN parallelism     integer,
    ADD COLUMN chunks_total    integer,
    ADD COLUMN chunks_done     integer,
    ADD COLUMN expected_rows   bigint,
    ADD COLUMN progress_rows   bigint,
    ADD COLUMN rows_per_second bigint,
    ADD COLUMN eta_seconds     double precision,
    ADD COLUMN progress_at     timestamptz;
