-- core: runs, per-table status, the chunk ledger and the append-only audit log.
CREATE TABLE {s}.runs (
    run_id          text PRIMARY KEY,
    started_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,
    airflow_dag_id  text,
    airflow_run_id  text
);

CREATE TABLE {s}.table_status (
    table_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          text NOT NULL,
    source_table    text NOT NULL,
    target          text NOT NULL,
    target_table    text NOT NULL,
    status          text NOT NULL
                    CHECK (status IN ('pending', 'copying', 'copied', 'failed', 'mismatch')),
    rows            bigint,
    source_checksum text,
    target_checksum text,
    bytes           bigint,
    attempts        integer NOT NULL DEFAULT 0,
    started_at      timestamptz,
    finished_at     timestamptz,
    run_id          text REFERENCES {s}.runs,
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_table, target, target_table)
);
CREATE INDEX table_status_target_idx ON {s}.table_status (target, target_table);
CREATE INDEX table_status_run_idx ON {s}.table_status (run_id);

-- The chunk ledger: one row per key range [key_lo, key_hi) of a table; NULL bounds are open.
CREATE TABLE {s}.chunks (
    table_id        bigint NOT NULL REFERENCES {s}.table_status ON DELETE CASCADE,
    chunk_no        integer NOT NULL,
    key_column      text,
    key_lo          text,
    key_hi          text,
    status          text NOT NULL
                    CHECK (status IN ('pending', 'copying', 'copied', 'failed', 'mismatch')),
    rows            bigint,
    source_checksum text,
    target_checksum text,
    bytes           bigint,
    attempts        integer NOT NULL DEFAULT 0,
    started_at      timestamptz,
    finished_at     timestamptz,
    run_id          text REFERENCES {s}.runs,
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_id, chunk_no)
);
-- resuming asks "which chunks are not done yet"
CREATE INDEX chunks_unfinished_idx ON {s}.chunks (table_id, chunk_no) WHERE status <> 'copied';

CREATE TABLE {s}.audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor           text NOT NULL,
    action          text NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}',
    airflow_run_id  text,
    run_id          text
);
CREATE FUNCTION {s}.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'the tributary audit_log is append-only (% refused)', TG_OP;
END
$fn$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON {s}.audit_log
    FOR EACH ROW EXECUTE FUNCTION {s}.audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {s}.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_log_is_append_only();
