-- market.ticks on src_eu: the biggest table, generated in a session of its own
-- (trading_part.sql part=ticks) in parallel with the other parts.
-- psql variables: seed, n_ticks.
\ir market_pairs.sql

-- ================================================================ ticks (the big one)
-- Top-of-book quotes. No primary key (typical for tick stores); ordered by time on disk.
CREATE TABLE market.ticks (
  symbol    text          NOT NULL,
  ts        timestamptz   NOT NULL,
  bid       numeric(18,6) NOT NULL,
  ask       numeric(18,6) NOT NULL,
  bid_size  numeric(20,8) NOT NULL,
  ask_size  numeric(20,8) NOT NULL,
  venue     text          NOT NULL
);
INSERT INTO market.ticks (symbol, ts, bid, ask, bid_size, ask_size, venue)
SELECT s.symbol, ts, bid, bid + greatest(s.tick, pg_temp.q(2 * half, s.tick)),
       CASE WHEN s.region = 'crypto' THEN round((0.0005 + 3 * power(pg_temp.u(i, :seed + 322), 2))::numeric, 8)
            ELSE (1 + pg_temp.ui(i, :seed + 322, 60)) * s.lot END,
       CASE WHEN s.region = 'crypto' THEN round((0.0005 + 3 * power(pg_temp.u(i, :seed + 323), 2))::numeric, 8)
            ELSE (1 + pg_temp.ui(i, :seed + 323, 60)) * s.lot END,
       CASE WHEN cardinality(s.alts) = 0 OR pg_temp.u(i, :seed + 324) < 0.65 THEN s.mic ELSE pg_temp.pick(s.alts, i, :seed + 325) END
FROM (
  SELECT i, (i * :n_pairs) / :n_ticks AS p, ((i * :n_pairs) % :n_ticks)::float8 / :n_ticks AS frac
  FROM generate_series(0::bigint, :n_ticks - 1) AS g(i)
) x
JOIN pg_temp.mpair mp USING (p)
JOIN pg_temp.sym s ON s.idx = mp.sidx
CROSS JOIN LATERAL (SELECT mp.open_ts + s.session * (frac * 0.98 + 0.015 * pg_temp.u(i, :seed + 320)) AS ts OFFSET 0) t
CROSS JOIN LATERAL (SELECT pg_temp.px(s.base, s.idx, t.ts) AS mid OFFSET 0) m
CROSS JOIN LATERAL (SELECT m.mid * s.spread_bps / 20000.0 * (1 + 2 * pg_temp.u(i, :seed + 321)) AS half OFFSET 0) h
CROSS JOIN LATERAL (SELECT pg_temp.q(m.mid - h.half, s.tick) AS bid OFFSET 0) b;

CREATE INDEX ticks_symbol_ts_idx ON market.ticks (symbol, ts);
CREATE INDEX ticks_ts_brin ON market.ticks USING brin (ts);
