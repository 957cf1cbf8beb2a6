-- Phase 5: reconciliation during the dual run (dags/tributary/reconcile.py, docs/runbooks/reconcile.md): one row
-- per followed table per pass. A mismatch counts only once confirmed: the follower had applied past the source
-- position the pass read it at, and the source row was unchanged around the re-read (transient lag never counts).
CREATE TABLE {s}.reconcile_passes (
    pass_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source             text        NOT NULL,
    source_table       text        NOT NULL,
    target_table       text        NOT NULL,
    mode               text        NOT NULL CHECK (mode IN ('changed', 'full')),
    -- the next 'changed' pass compares the rows written by transactions at or after these (xid8, each side's own)
    source_xid_next    bigint      NOT NULL,
    target_xid_next    bigint      NOT NULL,
    rows_compared      bigint      NOT NULL,   -- changed rows (changed pass) or the source's rows (full pass)
    candidates         bigint      NOT NULL,   -- keys that differed at the first read
    transient          bigint      NOT NULL,   -- of those, equal once the follower had applied past the read
    confirmed          bigint      NOT NULL,   -- still different after that: the mismatches
    unsettled          bigint      NOT NULL,   -- not decided (the follower did not catch up, the row kept changing)
    mismatch_rate      double precision NOT NULL,   -- confirmed / rows_compared (0 when nothing was compared)
    mismatches         jsonb       NOT NULL DEFAULT '[]',   -- the confirmed keys (first 100) and their kind
    note               text,
    seconds            double precision,
    airflow_run_id     text,
    finished_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconcile_passes_latest ON {s}.reconcile_passes (source, source_table, pass_id DESC);
