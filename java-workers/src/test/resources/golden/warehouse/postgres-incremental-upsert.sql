-- create_schema
CREATE SCHEMA IF NOT EXISTS "market";
-- create_target
CREATE TABLE IF NOT EXISTS "market"."fills" ("exec_id" text, "symbol" text, "side" character(1), "qty" numeric(18,4), "price" numeric(18,6), "ts" timestamp with time zone, "settle_date" date, "is_test" boolean, "attrs" text);
-- create_target
CREATE INDEX IF NOT EXISTS "fills_sortkey" ON "market"."fills" ("ts", "exec_id");
-- begin
BEGIN;
-- create_staging
CREATE TEMPORARY TABLE "stage_fills_0123abcd" ("exec_id" text, "symbol" text, "side" character(1), "qty" numeric(18,4), "price" numeric(18,6), "ts" timestamp with time zone, "settle_date" date, "is_test" boolean, "attrs" text) ON COMMIT DROP;
-- ingest
COPY "stage_fills_0123abcd" ("exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs") FROM STDIN -- each file of s3://tributary-staging/warehouse/src_eu/market.fills/2026-06-01/manifest;
-- delete_keys
DELETE FROM "market"."fills" AS t USING "stage_fills_0123abcd" AS s WHERE t."exec_id" = s."exec_id" AND t."ts" = s."ts";
-- insert
INSERT INTO "market"."fills" ("exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs") SELECT "exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs"::text FROM "stage_fills_0123abcd";
-- checksum
SELECT count(*) AS row_count, SUM(CAST(('x' || substr(md5(COALESCE(md5(r."exec_id"::text), 'N') || ',' || COALESCE(md5(r."symbol"::text), 'N') || ',' || COALESCE(md5(r."side"::text), 'N') || ',' || COALESCE(md5(CASE WHEN r."qty"::text LIKE '%.%' THEN RTRIM(RTRIM(r."qty"::text, '0'), '.') ELSE r."qty"::text END), 'N') || ',' || COALESCE(md5(CASE WHEN r."price"::text LIKE '%.%' THEN RTRIM(RTRIM(r."price"::text, '0'), '.') ELSE r."price"::text END), 'N') || ',' || COALESCE(md5(TO_CHAR(r."ts" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(md5(TO_CHAR(r."settle_date", 'YYYY-MM-DD')), 'N') || ',' || COALESCE(md5(CASE WHEN r."is_test" THEN 't' ELSE 'f' END), 'N') || ',' || COALESCE(md5(r."attrs"::text), 'N')), 1, 15))::bit(60)::bigint AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs" FROM "market"."fills" AS t WHERE EXISTS (SELECT 1 FROM "stage_fills_0123abcd" AS s WHERE t."exec_id" = s."exec_id" AND t."ts" = s."ts")) AS r;
-- checksum_touched
SELECT count(*) AS row_count, SUM(CAST(('x' || substr(md5(COALESCE(md5(r."exec_id"::text), 'N') || ',' || COALESCE(md5(r."symbol"::text), 'N') || ',' || COALESCE(md5(r."side"::text), 'N') || ',' || COALESCE(md5(CASE WHEN r."qty"::text LIKE '%.%' THEN RTRIM(RTRIM(r."qty"::text, '0'), '.') ELSE r."qty"::text END), 'N') || ',' || COALESCE(md5(CASE WHEN r."price"::text LIKE '%.%' THEN RTRIM(RTRIM(r."price"::text, '0'), '.') ELSE r."price"::text END), 'N') || ',' || COALESCE(md5(TO_CHAR(r."ts" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(md5(TO_CHAR(r."settle_date", 'YYYY-MM-DD')), 'N') || ',' || COALESCE(md5(CASE WHEN r."is_test" THEN 't' ELSE 'f' END), 'N') || ',' || COALESCE(md5(r."attrs"::text), 'N')), 1, 15))::bit(60)::bigint AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "exec_id", "symbol", "side", "qty", "price", "ts", "settle_date", "is_test", "attrs" FROM "market"."fills" WHERE "ts" >= '2026-06-01 09:30:00.25+00' AND "ts" <= '2026-06-02 16:00:00+00') AS r;
-- drop_staging
DROP TABLE "stage_fills_0123abcd";
-- commit
COMMIT;
