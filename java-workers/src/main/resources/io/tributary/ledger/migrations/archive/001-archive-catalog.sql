-- archive: one row per archived table and run (docs/archive-catalog-format.md). `entry` holds the whole
-- catalog document, the same JSON as the catalog.json written next to the data; the other columns are
-- what `tributary catalog search` and `restore` look up.
CREATE TABLE {s}.archive_catalog (
    archive_id          text PRIMARY KEY,          -- <instance>/<schema>/<table>/<run segment>
    instance            text NOT NULL,
    source_schema       text NOT NULL,
    source_table        text NOT NULL,
    run_id              text NOT NULL,
    status              text NOT NULL
                        CHECK (status IN ('writing', 'written', 'verified', 'mismatch', 'failed')),
    class               text,
    location            text NOT NULL,             -- s3://bucket/prefix/instance/schema/table/run/
    column_names        text[] NOT NULL DEFAULT '{}',
    tags                jsonb NOT NULL DEFAULT '{}',
    rows                bigint,
    bytes               bigint,
    source_checksum     text,
    archive_checksum    text,                      -- recomputed from the objects read back
    storage_class       text,
    encryption          text,
    retain_until        date,
    triggered_by        text NOT NULL,
    airflow_run_id      text,
    archived_at         timestamptz NOT NULL DEFAULT now(),
    verified_at         timestamptz,
    source_dropped_at   timestamptz,
    entry               jsonb NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (instance, source_schema, source_table, run_id)
);
CREATE INDEX archive_catalog_table_idx ON {s}.archive_catalog (source_table, instance, source_schema);
CREATE INDEX archive_catalog_archived_idx ON {s}.archive_catalog (archived_at);
-- search by column name and by tag
CREATE INDEX archive_catalog_columns_idx ON {s}.archive_catalog USING gin (column_names);
CREATE INDEX archive_catalog_tags_idx ON {s}.archive_catalog USING gin (tags jsonb_path_ops);
