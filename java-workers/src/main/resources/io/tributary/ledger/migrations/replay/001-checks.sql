-- Phase 5: the cutover pre-check's replay of each source's most frequent read-only statements (pg_stat_statements)
-- on the source and on the consolidated database (dags/tributary/replay.py): p50/p95 per statement and side.
CREATE TABLE {s}.replay_checks (
    check_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source             text        NOT NULL,
    verdict            text        NOT NULL CHECK (verdict IN ('ok', 'slower', 'skipped')),
    max_slowdown       double precision,
    statements         jsonb       NOT NULL DEFAULT '[]',   -- per statement: text, calls, p50/p95 per side, ratio
    skipped            jsonb       NOT NULL DEFAULT '[]',   -- statements not replayed, and why
    note               text,
    airflow_run_id     text,
    checked_at         timestamptz NOT NULL DEFAULT now()
);
