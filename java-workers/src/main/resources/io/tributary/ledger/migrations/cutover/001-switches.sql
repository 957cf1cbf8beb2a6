-- Phase 5: every switch of the applications' PgBouncer entry (cutover and rollback), with the write freeze
-- it cost, and each source's place in its life cycle (written by dags/tributary/cutover.py).
CREATE TABLE {s}.cutover_switches (
    switch_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    direction          text        NOT NULL CHECK (direction IN ('cutover', 'rollback')),
    sources            text[]      NOT NULL,
    status             text        NOT NULL CHECK (status IN ('switched', 'resumed-unswitched', 'failed')),
    paused_at          timestamptz,
    resumed_at         timestamptz,
    freeze_seconds     double precision,   -- PAUSE to RESUME, measured by the task that held the freeze
    steps              jsonb       NOT NULL DEFAULT '{}',   -- seconds per step inside the freeze
    error              text,
    airflow_run_id     text,
    recorded_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {s}.source_lifecycle (
    source             text        PRIMARY KEY,
    state              text        NOT NULL CHECK (state IN ('live', 'cut-over', 'decommissioned')),
    serving            text        NOT NULL,   -- the connection id PgBouncer sends the source's applications to
    reverse_slot       text,                   -- on the consolidated database, streaming back to the source
    switched_at        timestamptz,
    decommissioned_at  timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
