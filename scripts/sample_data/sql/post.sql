-- Statistics steps, outside any transaction, identical on the load and the skip path:
--   1. flush this session's pending table statistics,
--   2. reset the counters of the planted stale tables and their indexes (no reads at all),
--   3. ANALYZE the stale tables again (the reset also cleared last_analyze),
--   4. read every live table once, so live tables show scans and stale ones none,
--   5. flush again, so the counters are visible to the next session right away.
-- psql variables: schemas, stale (comma-separated qualified names; may be empty).
\ir flush_stats.sql

-- (a table's idx_scan is the sum over its indexes, which have counters of their own)
SELECT count(pg_stat_reset_single_table_counters(r))
FROM (SELECT to_regclass(t)::oid AS r FROM unnest(string_to_array(:'stale', ',')) AS t WHERE to_regclass(t) IS NOT NULL
      UNION ALL
      SELECT i.indexrelid FROM pg_index i
      WHERE i.indrelid IN (SELECT to_regclass(t) FROM unnest(string_to_array(:'stale', ',')) AS t)) x;

SELECT format('ANALYZE %s', string_agg(t, ', ')) FROM unnest(string_to_array(:'stale', ',')) AS t
WHERE to_regclass(t) IS NOT NULL HAVING count(*) > 0 \gexec

SELECT pg_temp.touch_live(string_to_array(:'schemas', ','), string_to_array(:'stale', ',')) AS touched \gset
\ir flush_stats.sql
