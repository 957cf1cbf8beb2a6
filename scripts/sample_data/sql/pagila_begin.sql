-- Pagila, part 1 of 3 (load.sh runs: pagila_begin.sql, the dataset's pagila-schema.sql and
-- pagila-data.sql exactly as published -- not copied into this repository -- then
-- pagila_end.sql, all in one psql session and one transaction).
-- psql variables: owner, kind, gen, scale, schemas, stale.
\set ON_ERROR_STOP 1
\o /dev/null
\ir lib.sql

BEGIN;
SELECT pg_temp.reset_schemas(string_to_array(:'schemas', ','));
\echo '  loading pagila schema and data'
