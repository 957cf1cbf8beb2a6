-- (symbol, day) pairs of the market window, in time order: the backbone of every market
-- time series. Session-local (pg_temp); included by market.sql and ticks.sql.
-- psql variables: is_us.
CREATE TEMP TABLE mpair ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY d, s.idx) - 1)::bigint AS p, s.idx AS sidx, d,
       ((d + s.open_local) AT TIME ZONE s.tz) AS open_ts
FROM pg_temp.sym s
CROSS JOIN LATERAL pg_temp.trading_days(s.region, '2026-05-01', '2026-10-31') AS t(d)
\if :is_us
WHERE s.region IN ('us', 'crypto')
\endif
;
CREATE UNIQUE INDEX ON pg_temp.mpair (p);
ANALYZE pg_temp.mpair;
SELECT count(*) AS n_pairs FROM pg_temp.mpair \gset

