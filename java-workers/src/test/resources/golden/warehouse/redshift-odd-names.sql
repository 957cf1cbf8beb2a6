-- create_schema
CREATE SCHEMA IF NOT EXISTS "Sp1eCial .Char";
-- create_target
CREATE TABLE IF NOT EXISTS "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" ("iD" INTEGER ENCODE AZ64, "nA M.e" VARCHAR(65535) ENCODE ZSTD, "select" TIMESTAMPTZ ENCODE RAW, "1st ""quoted"" $col" VARCHAR(65535) ENCODE ZSTD, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" BIGINT ENCODE AZ64) DISTSTYLE KEY DISTKEY ("iD") COMPOUND SORTKEY ("select", "iD");
-- begin
BEGIN;
-- create_staging
CREATE TEMPORARY TABLE "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd" ("iD" INTEGER, "nA M.e" VARCHAR(65535), "select" TIMESTAMP, "1st ""quoted"" $col" VARCHAR(65535), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" BIGINT);
-- ingest
COPY "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd" FROM 's3://tributary-staging/warehouse/src_eu/market.fills/2026-06-01/manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/tributary-redshift-copy' FORMAT AS PARQUET MANIFEST;
-- convert_staging
CREATE TEMPORARY TABLE "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd_utc" AS SELECT "iD" AS "iD", "nA M.e" AS "nA M.e", ("select" AT TIME ZONE 'UTC') AS "select", "1st ""quoted"" $col" AS "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" AS "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" FROM "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd";
-- merge
MERGE INTO "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" USING "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd_utc" AS s ON "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx"."iD" = s."iD" AND "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx"."nA M.e" = s."nA M.e" WHEN MATCHED THEN UPDATE SET "select" = s."select", "1st ""quoted"" $col" = s."1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" = s."xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" WHEN NOT MATCHED THEN INSERT ("iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") VALUES (s."iD", s."nA M.e", s."select", s."1st ""quoted"" $col", s."xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
-- checksum
SELECT count(*) AS row_count, SUM(CAST(STRTOL(SUBSTRING(MD5(COALESCE(MD5(CAST(r."iD" AS VARCHAR(65535))), 'N') || ',' || COALESCE(MD5(r."nA M.e"), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."select" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(MD5(r."1st ""quoted"" $col"), 'N') || ',' || COALESCE(MD5(CAST(r."xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" AS VARCHAR(65535))), 'N')), 1, 15), 16) AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" FROM "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" AS t WHERE EXISTS (SELECT 1 FROM "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd_utc" AS s WHERE t."iD" = s."iD" AND t."nA M.e" = s."nA M.e")) AS r;
-- checksum_touched
SELECT count(*) AS row_count, SUM(CAST(STRTOL(SUBSTRING(MD5(COALESCE(MD5(CAST(r."iD" AS VARCHAR(65535))), 'N') || ',' || COALESCE(MD5(r."nA M.e"), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."select" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(MD5(r."1st ""quoted"" $col"), 'N') || ',' || COALESCE(MD5(CAST(r."xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" AS VARCHAR(65535))), 'N')), 1, 15), 16) AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" FROM "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" WHERE "select" >= '2026-06-01 09:30:00+00' AND "select" <= '2026-06-02 16:00:00+00') AS r;
-- drop_staging
DROP TABLE "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd", "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd_utc";
-- commit
COMMIT;
