-- Trading instance, step 1 of 3 (load.sh): drop what the loader owns (schemas public --
-- except extension members -- and market), clear the marker and create an empty schema
-- market, in one transaction. Step 2 runs trading_part.sql in parallel sessions (part=app,
-- part=market and, on src_eu, part=ticks); step 3 is trading_end.sql. A failure after this
-- step leaves no marker, so the next run reloads.
-- psql variables: schemas.
\set ON_ERROR_STOP 1
\o /dev/null
\ir lib.sql
BEGIN;
SELECT pg_temp.reset_schemas(string_to_array(:'schemas', ','));
SELECT format('COMMENT ON DATABASE %I IS NULL', current_database()) \gexec
CREATE SCHEMA market;
COMMIT;
