-- tributary follow: one row per replication slot a follower created on a source (the start point of its
-- change stream), and one row per slot with the last source transaction applied to the target.
CREATE TABLE {s}.follow_slots (
    source         text        NOT NULL,
    slot_name      text        NOT NULL,
    publication    text        NOT NULL,
    tables         text[]      NOT NULL,
    consistent_lsn pg_lsn      NOT NULL,   -- where the slot's exported snapshot ends and the stream begins
    snapshot_name  text,                   -- importable while state = 'holding'
    state          text        NOT NULL CHECK (state IN ('holding', 'released', 'dropped')),
    holder         text,                   -- host:pid of the process holding the snapshot
    created_at     timestamptz NOT NULL DEFAULT now(),
    released_at    timestamptz,
    dropped_at     timestamptz,
    PRIMARY KEY (source, slot_name)
);

-- Written in the same target transaction as the changes it accounts for: resuming reads it, nothing else.
CREATE TABLE {s}.follow_progress (
    source            text        NOT NULL,
    slot_name         text        NOT NULL,
    applied_lsn       pg_lsn      NOT NULL,   -- end of the last source transaction applied
    applied_commit_at timestamptz,            -- its commit time on the source
    transactions      bigint      NOT NULL DEFAULT 0,
    changes           bigint      NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, slot_name)
);
