-- create_schema
CREATE SCHEMA IF NOT EXISTS "market";
-- create_target
CREATE TABLE IF NOT EXISTS "market"."fills" ("exec_id" VARCHAR(65535) ENCODE ZSTD, "symbol" VARCHAR(65535) ENCODE ZSTD, "side" VARCHAR(4) ENCODE ZSTD, "qty" NUMERIC(18,4) ENCODE AZ64, "price" NUMERIC(18,6) ENCODE AZ64, "ts" TIMESTAMPTZ ENCODE RAW, "settle_date" DATE ENCODE AZ64, "is_test" BOOLEAN ENCODE ZSTD, "attrs" VARCHAR(65535) ENCODE ZSTD) DISTSTYLE KEY DISTKEY ("symbol") COMPOUND SORTKEY ("ts", "exec_id");
-- begin
BEGIN;
-- create_staging
CREATE TEMPORARY TABLE "stage_fills_0123abcd" ("exec_id" VARCHAR(65535), "symbol" VARCHAR(65535), "side" VARCHAR(4), "qty" NUMERIC(18,4), "price" NUMERIC(18,6), "ts" TIMESTAMP, "settle_date" DATE, "is_test" BOOLEAN, "attrs" VARCHAR(65535));
-- ingest
COPY "stage_fills_0123abcd" FROM 's3://tributary-staging/warehouse/src_eu/market.fills/2026-06-01/manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/tributary-redshift-copy' FORMAT AS PARQUET MANIFEST;
-- delete_partition
DELETE FROM "market"."fills";
-- insert
INSERT INTO "market"."fills" ("exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs") SELECT "exec_id", "symbol", "side", "qty", "price", ("ts" AT TIME ZONE 'UTC'), "settle_date", "is_test", "attrs" FROM "stage_fills_0123abcd";
-- checksum
SELECT count(*) AS row_count, SUM(CAST(STRTOL(SUBSTRING(MD5(COALESCE(MD5(r."exec_id"), 'N') || ',' || COALESCE(MD5(r."symbol"), 'N') || ',' || COALESCE(MD5(r."side"), 'N') || ',' || COALESCE(MD5(CASE WHEN CAST(r."qty" AS VARCHAR(65535)) LIKE '%.%' THEN RTRIM(RTRIM(CAST(r."qty" AS VARCHAR(65535)), '0'), '.') ELSE CAST(r."qty" AS VARCHAR(65535)) END), 'N') || ',' || COALESCE(MD5(CASE WHEN CAST(r."price" AS VARCHAR(65535)) LIKE '%.%' THEN RTRIM(RTRIM(CAST(r."price" AS VARCHAR(65535)), '0'), '.') ELSE CAST(r."price" AS VARCHAR(65535)) END), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."ts" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."settle_date", 'YYYY-MM-DD')), 'N') || ',' || COALESCE(MD5(CASE WHEN r."is_test" THEN 't' ELSE 'f' END), 'N') || ',' || COALESCE(MD5(r."attrs"), 'N')), 1, 15), 16) AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs" FROM "market"."fills") AS r;
-- watermark
SELECT CAST(MAX("ts") AS VARCHAR(64)) FROM "market"."fills";
-- drop_staging
DROP TABLE "stage_fills_0123abcd";
-- commit
COMMIT;
