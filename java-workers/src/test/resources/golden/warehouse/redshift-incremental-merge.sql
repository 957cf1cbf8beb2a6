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
-- convert_staging
CREATE TEMPORARY TABLE "stage_fills_0123abcd_utc" AS SELECT "exec_id" AS "exec_id", "symbol" AS "symbol", "side" AS "side", "qty" AS "qty", "price" AS "price", ("ts" AT TIME ZONE 'UTC') AS "ts", "settle_date" AS "settle_date", "is_test" AS "is_test", "attrs" AS "attrs" FROM "stage_fills_0123abcd";
-- merge
MERGE INTO "market"."fills" USING "stage_fills_0123abcd_utc" AS s ON "market"."fills"."exec_id" = s."exec_id" AND "market"."fills"."ts" = s."ts" WHEN MATCHED THEN UPDATE SET "symbol" = s."symbol", "side" = s."side", "qty" = s."qty", "price" = s."price", "settle_date" = s."settle_date", "is_test" = s."is_test", "attrs" = s."attrs" WHEN NOT MATCHED THEN INSERT ("exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs") VALUES (s."exec_id", s."symbol", s."side", s."qty", s."price", s."ts", s."settle_date", s."is_test", s."attrs");
-- checksum
SELECT count(*) AS row_count, SUM(CAST(STRTOL(SUBSTRING(MD5(COALESCE(MD5(r."exec_id"), 'N') || ',' || COALESCE(MD5(r."symbol"), 'N') || ',' || COALESCE(MD5(r."side"), 'N') || ',' || COALESCE(MD5(CASE WHEN CAST(r."qty" AS VARCHAR(65535)) LIKE '%.%' THEN RTRIM(RTRIM(CAST(r."qty" AS VARCHAR(65535)), '0'), '.') ELSE CAST(r."qty" AS VARCHAR(65535)) END), 'N') || ',' || COALESCE(MD5(CASE WHEN CAST(r."price" AS VARCHAR(65535)) LIKE '%.%' THEN RTRIM(RTRIM(CAST(r."price" AS VARCHAR(65535)), '0'), '.') ELSE CAST(r."price" AS VARCHAR(65535)) END), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."ts" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."settle_date", 'YYYY-MM-DD')), 'N') || ',' || COALESCE(MD5(CASE WHEN r."is_test" THEN 't' ELSE 'f' END), 'N') || ',' || COALESCE(MD5(r."attrs"), 'N')), 1, 15), 16) AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs" FROM "market"."fills" AS t WHERE EXISTS (SELECT 1 FROM "stage_fills_0123abcd_utc" AS s WHERE t."exec_id" = s."exec_id" AND t."ts" = s."ts")) AS r;
-- checksum_touched
SELECT count(*) AS row_count, SUM(CAST(STRTOL(SUBSTRING(MD5(COALESCE(MD5(r."exec_id"), 'N') || ',' || COALESCE(MD5(r."symbol"), 'N') || ',' || COALESCE(MD5(r."side"), 'N') || ',' || COALESCE(MD5(CASE WHEN CAST(r."qty" AS VARCHAR(65535)) LIKE '%.%' THEN RTRIM(RTRIM(CAST(r."qty" AS VARCHAR(65535)), '0'), '.') ELSE CAST(r."qty" AS VARCHAR(65535)) END), 'N') || ',' || COALESCE(MD5(CASE WHEN CAST(r."price" AS VARCHAR(65535)) LIKE '%.%' THEN RTRIM(RTRIM(CAST(r."price" AS VARCHAR(65535)), '0'), '.') ELSE CAST(r."price" AS VARCHAR(65535)) END), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."ts" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(MD5(TO_CHAR(r."settle_date", 'YYYY-MM-DD')), 'N') || ',' || COALESCE(MD5(CASE WHEN r."is_test" THEN 't' ELSE 'f' END), 'N') || ',' || COALESCE(MD5(r."attrs"), 'N')), 1, 15), 16) AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs" FROM "market"."fills" WHERE "ts" >= '2026-06-01 09:30:00.25+00' AND "ts" <= '2026-06-02 16:00:00+00') AS r;
-- drop_staging
DROP TABLE "stage_fills_0123abcd", "stage_fills_0123abcd_utc";
-- commit
COMMIT;
