-- create_schema
CREATE SCHEMA IF NOT EXISTS "Sp1eCial .Char";
-- create_target
CREATE TABLE IF NOT EXISTS "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" ("iD" integer, "nA M.e" text, "select" timestamp with time zone, "1st ""quoted"" $col" text, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" bigint);
-- create_target
CREATE INDEX IF NOT EXISTS "Tabl e.""1""testing$éééééééééééééé_0dfe1954_sortkey" ON "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" ("select", "iD");
-- begin
BEGIN;
-- create_staging
CREATE TEMPORARY TABLE "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd" ("iD" integer, "nA M.e" text, "select" timestamp with time zone, "1st ""quoted"" $col" text, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" bigint) ON COMMIT DROP;
-- ingest
COPY "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd" ("iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") FROM STDIN -- each file of s3://tributary-staging/warehouse/src_eu/market.fills/2026-06-01/manifest;
-- delete_keys
DELETE FROM "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" AS t USING "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd" AS s WHERE t."iD" = s."iD" AND t."nA M.e" = s."nA M.e";
-- insert
INSERT INTO "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" ("iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") SELECT "iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" FROM "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd";
-- checksum
SELECT count(*) AS row_count, SUM(CAST(('x' || substr(md5(COALESCE(md5(r."iD"::text), 'N') || ',' || COALESCE(md5(r."nA M.e"::text), 'N') || ',' || COALESCE(md5(TO_CHAR(r."select" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(md5(r."1st ""quoted"" $col"::text), 'N') || ',' || COALESCE(md5(r."xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"::text), 'N')), 1, 15))::bit(60)::bigint AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" FROM "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" AS t WHERE EXISTS (SELECT 1 FROM "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd" AS s WHERE t."iD" = s."iD" AND t."nA M.e" = s."nA M.e")) AS r;
-- checksum_touched
SELECT count(*) AS row_count, SUM(CAST(('x' || substr(md5(COALESCE(md5(r."iD"::text), 'N') || ',' || COALESCE(md5(r."nA M.e"::text), 'N') || ',' || COALESCE(md5(TO_CHAR(r."select" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')), 'N') || ',' || COALESCE(md5(r."1st ""quoted"" $col"::text), 'N') || ',' || COALESCE(md5(r."xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"::text), 'N')), 1, 15))::bit(60)::bigint AS DECIMAL(38,0))) AS hash_sum FROM (SELECT "iD", "nA M.e", "select", "1st ""quoted"" $col", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" FROM "Sp1eCial .Char"."Tabl e.""1""testing$ééééééééééééééééééééééx" WHERE "select" >= '2026-06-01 09:30:00+00' AND "select" <= '2026-06-02 16:00:00+00') AS r;
-- drop_staging
DROP TABLE "stage_Tabl e.""1""testing$ééééééééééééééééééééééx_0123abcd";
-- commit
COMMIT;
