-- merge: many-to-one consolidation. Written by `tributary resolve`, read by every `tributary copy`.

-- Per target table and source table: the constant added to the source's surrogate key (0 = unchanged),
-- and the origin column that records which instance each target row came from.
CREATE TABLE {s}.key_offsets (
    target          text NOT NULL,
    target_table    text NOT NULL,
    source          text NOT NULL,
    source_table    text NOT NULL,
    key_column      text,
    key_offset      bigint NOT NULL DEFAULT 0,
    stride          bigint,
    origin_column   text,
    sources         text[] NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT now(),
    run_id          text,
    PRIMARY KEY (target, target_table, source),
    UNIQUE (source, source_table, target)
);

-- Per-row exceptions to the offset: a source key that becomes another target key, e.g. the losing row of a
-- duplicate natural key folded into the winner. Rows that point at old_key are rewritten to new_key.
CREATE TABLE {s}.key_map (
    target          text NOT NULL,
    target_table    text NOT NULL,
    source          text NOT NULL,
    old_key         text NOT NULL,
    new_key         text NOT NULL,
    reason          text NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT now(),
    run_id          text,
    PRIMARY KEY (target, target_table, source, old_key)
);

-- Every duplicate natural key and how it was settled. Strategy `manual` parks the losing row here with
-- status 'open' (both versions kept) until someone works the queue (docs/runbooks/merge-conflicts.md).
CREATE TABLE {s}.conflict_queue (
    conflict_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target          text NOT NULL,
    target_table    text NOT NULL,
    natural_key     text[] NOT NULL,
    key_value       text NOT NULL,
    strategy        text NOT NULL CHECK (strategy IN ('source-wins', 'last-write-wins', 'manual')),
    winner_source   text NOT NULL,
    winner_key      text,
    winner_row      jsonb NOT NULL,
    loser_source    text NOT NULL,
    loser_key       text NOT NULL,
    loser_row       jsonb NOT NULL,
    status          text NOT NULL CHECK (status IN ('resolved', 'open', 'kept-winner', 'took-loser')),
    reason          text NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT now(),
    resolved_by     text,
    resolved_at     timestamptz,
    run_id          text,
    UNIQUE (target, target_table, loser_source, loser_key)
);
CREATE INDEX conflict_queue_open_idx ON {s}.conflict_queue (target_table) WHERE status = 'open';
