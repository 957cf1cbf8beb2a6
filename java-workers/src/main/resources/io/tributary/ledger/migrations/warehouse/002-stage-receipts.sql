-- warehouse: what each stage wrote, recorded by stage itself. Load takes its expected figures, its column types and
-- the list of objects to read from here and never from the staging bucket: whoever can write the bucket's prefix
-- could otherwise forge the data together with its receipt, or put SQL into a type name.
CREATE TABLE {s}.warehouse_stages (
    manifest     text PRIMARY KEY,          -- s3://bucket/prefix/manifest: what stage returns and load is given
    source       text NOT NULL,
    source_table text NOT NULL,
    receipt      jsonb NOT NULL,            -- stage.json as stage wrote it (figures, columns and their types)
    objects      jsonb NOT NULL,            -- [{"url", "bytes", "etag"}] of every staged file, as S3 stored it
    run_id       text,
    staged_at    timestamptz NOT NULL DEFAULT now()
);
