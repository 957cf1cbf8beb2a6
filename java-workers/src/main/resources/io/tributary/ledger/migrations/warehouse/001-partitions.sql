-- warehouse: one row per staged/loaded partition of a broker table, and each table's watermark.
CREATE TABLE {s}.warehouse_partitions (
    source          text NOT NULL,
    source_table    text NOT NULL,
    partition_label text NOT NULL,            -- 'full' or '<from>..<to>'
    partition_column text,
    from_ts         timestamptz,
    to_ts           timestamptz,
    status          text NOT NULL CHECK (status IN ('staged', 'loaded', 'mismatch', 'failed')),
    target_table    text,
    dialect         text,
    rows            bigint,
    source_checksum text,
    target_rows     bigint,
    target_checksum text,
    files           integer,
    bytes           bigint,
    manifest        text,
    run_id          text,
    staged_at       timestamptz,
    loaded_at       timestamptz,
    loads           integer NOT NULL DEFAULT 0,
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, source_table, partition_label)
);

CREATE TABLE {s}.warehouse_watermarks (
    source          text NOT NULL,
    source_table    text NOT NULL,
    target_table    text NOT NULL,
    watermark_column text NOT NULL,
    watermark       text NOT NULL,            -- the highest value loaded, as text (timestamp or key)
    run_id          text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, source_table, target_table)
);
