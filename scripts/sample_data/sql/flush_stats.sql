-- Make this session's pending table statistics visible now (PG 15+: force the flush that
-- otherwise happens at most once a second or at disconnect; older servers: wait for the
-- statistics collector).
SELECT current_setting('server_version_num')::int >= 150000 AS has_force_flush \gset
\if :has_force_flush
SELECT pg_stat_force_next_flush();
\else
SELECT pg_sleep(1.2);
\endif
SELECT 1;
