-- Trading instance, step 2 of 3: generate one part in its own session and transaction,
-- then VACUUM (ANALYZE) its tables. load.sh runs the parts concurrently:
--   part=app     schema public: the application tables and the stale leftovers
--   part=market  schema market: fills, and on src_eu order_book_snapshots, vendor_feed_quotes
--   part=ticks   market.ticks (src_eu only; the biggest table)
-- psql variables: part, region, is_us, seed, scale.
\set ON_ERROR_STOP 1
\o /dev/null
\ir lib.sql
\ir trading_sizes.sql
SELECT :'part' = 'app' AS part_app, :'part' = 'ticks' AS part_ticks \gset

BEGIN;
\if :part_app
\echo '  generating application tables (public)'
\ir trading_app.sql
\echo '  generating stale tables (public)'
\ir trading_stale.sql
\elif :part_ticks
\echo '  generating market.ticks'
\ir ticks.sql
\else
\echo '  generating broker/market tables (market)'
\ir market.sql
\endif
COMMIT;

SELECT format('VACUUM (ANALYZE) %s', string_agg(format('%I.%I', n.nspname, c.relname), ', '))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND CASE :'part' WHEN 'app' THEN n.nspname = 'public'
                   WHEN 'ticks' THEN n.nspname = 'market' AND c.relname = 'ticks'
                   ELSE n.nspname = 'market' AND c.relname <> 'ticks' END
HAVING count(*) > 0 \gexec
\ir flush_stats.sql
