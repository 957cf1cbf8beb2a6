-- The trading application's schema `public` (same application on src_eu and src_us, with
-- planted drift between the two). Included by trading_part.sql (part=app) inside its transaction.
-- psql variables: region (eu|us), is_us (true|false), seed, n_users, n_users_eu, n_users_us,
-- n_strat, n_trades, n_dec, n_cal, n_agents.

-- ================================================================ types
CREATE TYPE public.order_side AS ENUM ('buy', 'sell');
\if :is_us
-- drift: the US build added a 'restricted' state (FINRA pattern-day-trader holds)
CREATE TYPE public.user_status AS ENUM ('pending', 'active', 'restricted', 'suspended', 'closed');
\else
CREATE TYPE public.user_status AS ENUM ('pending', 'active', 'suspended', 'closed');
\endif

-- ================================================================ users
CREATE TABLE public.users (
  id          bigserial PRIMARY KEY,
  email       text        NOT NULL,
  full_name   text        NOT NULL,
  country     char(2)     NOT NULL,
  status      public.user_status NOT NULL DEFAULT 'pending',
  tags        text[]      NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_updated_after_created CHECK (updated_at >= created_at)
);

-- Person keys: EU user i is person 2*i. US user j is person 2*(n_users_eu+1-j) when j is
-- "shared" (j % 12 = 0: the same customer, same e-mail) or a "case variant" (j % 100 = 50:
-- the same customer whose e-mail differs only in letter case); otherwise person 2*j+1.
-- Shared customers come in flavours by k = j/12: k%10 in 0..2 identical rows, 3..5 the US
-- row is newer (different name), 6..8 the EU row is newer (different name), 9 same
-- updated_at but different name and status (a last-write-wins tie).
\if :is_us
INSERT INTO public.users (id, email, full_name, country, status, tags, created_at, updated_at)
SELECT j,
       CASE WHEN casevar THEN upper(left(p.email, 1)) || substr(p.email, 2) ELSE p.email END,
       p.first_name || ' ' || CASE WHEN shared AND k % 10 IN (3,4,5,9) THEN p.alt_last_name ELSE p.last_name END,
       p.country,
       (CASE WHEN shared AND k % 10 = 9 THEN CASE WHEN p.status = 'active' THEN 'suspended' ELSE 'active' END
             WHEN casevar THEN o.status ELSE p.status END)::public.user_status,
       p.tags,
       CASE WHEN casevar THEN o.created_at ELSE p.created_at END,
       CASE WHEN casevar THEN o.updated_at
            WHEN shared AND k % 10 IN (3,4,5) THEN p.updated_at + p.lww_delta
            ELSE p.updated_at END
FROM (SELECT j, j % 12 = 0 AS shared, j % 100 = 50 AS casevar, j / 12 AS k,
             CASE WHEN j % 12 = 0 OR j % 100 = 50 THEN 2 * (:n_users_eu + 1 - j) ELSE 2 * j + 1 END AS pk
      FROM generate_series(1, :n_users) AS g(j)) s
CROSS JOIN LATERAL pg_temp.person(s.pk) p
CROSS JOIN LATERAL pg_temp.person(2 * s.j + 1) o;
\else
INSERT INTO public.users (id, email, full_name, country, status, tags, created_at, updated_at)
SELECT i, p.email,
       p.first_name || ' ' || CASE WHEN shared AND k % 10 IN (6,7,8) THEN p.alt_last_name ELSE p.last_name END,
       p.country, p.status::public.user_status, p.tags, p.created_at,
       CASE WHEN shared AND k % 10 IN (6,7,8) THEN p.updated_at + p.lww_delta ELSE p.updated_at END
FROM (SELECT i, (:n_users + 1 - i) <= :n_users_us AND (:n_users + 1 - i) % 12 = 0 AS shared,
             (:n_users + 1 - i) / 12 AS k
      FROM generate_series(1, :n_users) AS g(i)) s
CROSS JOIN LATERAL pg_temp.person(2 * s.i) p;
\endif

-- ================================================================ strategies
CREATE TABLE public.strategies (
  id             serial PRIMARY KEY,
  code           text          NOT NULL,
  name           text          NOT NULL,
  kind           text          NOT NULL,
  owner_user_id  bigint,
  params         jsonb         NOT NULL DEFAULT '{}',
  risk_limit     numeric(18,2) NOT NULL,
  is_active      boolean       NOT NULL DEFAULT true,
  created_at     timestamptz   NOT NULL,
  updated_at     timestamptz   NOT NULL,
  CONSTRAINT strategies_kind_check CHECK (kind IN ('momentum','mean-reversion','market-making',
                                                   'stat-arb','ml-signal','trend','pairs','vol-carry'))
);
-- Codes are kind-NNN on both instances: codes 1..min(n) exist on both, same id, other params.
INSERT INTO public.strategies (id, code, name, kind, owner_user_id, params, risk_limit, is_active, created_at, updated_at)
SELECT s, kind || '-' || lpad(s::text, 3, '0'),
       initcap(replace(kind, '-', ' ')) || ' ' || (ARRAY['Alpha','Core','Edge','Flex','Prime','Quant','Swift','Delta'])[1 + (s / 8) % 8],
       kind,
       CASE WHEN s % 3 = 0 THEN NULL ELSE 1 + pg_temp.ui(s, :seed + 11, :n_users) END,
       jsonb_build_object(
         'lookback_days', 5 + pg_temp.ui(s, :seed + 12, 60),
         'entry_z', round((0.5 + 2.5 * pg_temp.u(s, :seed + 13))::numeric, 2),
         'max_gross', 10000 * (1 + pg_temp.ui(s, :seed + 14, 50)),
         'rebalance', pg_temp.pick('{intraday,daily,weekly}', s, :seed + 15),
         'region', :'region',
         'universe', to_jsonb(ARRAY(SELECT symbol FROM pg_temp.sym
                                    WHERE region = :'region' AND pg_temp.u(s * 100 + idx, :seed + 16) < 0.4 ORDER BY idx))),
       (50000 + 5000 * pg_temp.ui(s, :seed + 17, 200))::numeric(18,2),
       pg_temp.u(s, :seed + 18) < 0.85,
       created, created + pg_temp.u(s, :seed + 19) * (timestamptz '2026-10-31 00:00:00+00' - created)
FROM (SELECT s,
             (ARRAY['momentum','mean-reversion','market-making','stat-arb','ml-signal','trend','pairs','vol-carry'])[1 + s % 8] AS kind,
             timestamptz '2020-03-01 00:00:00+00' + pg_temp.u(s, :seed + 10) * interval '1800 days' AS created
      FROM generate_series(1, :n_strat) AS g(s)) x;

-- ================================================================ trades
CREATE TEMP TABLE td ON COMMIT DROP AS
  SELECT row_number() OVER (ORDER BY d)::int AS di, d
  FROM pg_temp.trading_days(:'region', '2025-11-01', '2026-10-31') AS t(d);
SELECT count(*) AS n_td FROM pg_temp.td \gset
-- first trading-day index strictly after each calendar day (users trade only after sign-up)
CREATE TEMP TABLE td_after ON COMMIT DROP AS
  SELECT g.c::date AS c, (1 + count(td.d) OVER (ORDER BY g.c))::int AS lo
  FROM generate_series(timestamp '2017-12-31', timestamp '2026-10-30', interval '1 day') AS g(c)
  LEFT JOIN pg_temp.td ON td.d = g.c::date;
CREATE UNIQUE INDEX ON pg_temp.td_after (c);
CREATE TEMP TABLE ucal ON COMMIT DROP AS
  SELECT u.id, a.lo FROM public.users u JOIN pg_temp.td_after a ON a.c = u.created_at::date;
CREATE UNIQUE INDEX ON pg_temp.ucal (id);
CREATE TEMP TABLE usym ON COMMIT DROP AS
  SELECT (row_number() OVER (ORDER BY idx) - 1)::int AS k, idx FROM pg_temp.sym WHERE region = :'region';
SELECT count(*) AS n_usym FROM pg_temp.usym \gset
ANALYZE pg_temp.td; ANALYZE pg_temp.ucal; ANALYZE pg_temp.usym;

CREATE TABLE public.trades (
  id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  user_id      bigint        NOT NULL,
  strategy_id  integer,
  symbol       text          NOT NULL,
  side         public.order_side NOT NULL,
  qty          numeric(18,4) NOT NULL,
  price        numeric(18,6) NOT NULL,
  executed_at  timestamptz   NOT NULL,
  venue        text          NOT NULL,
  order_id     uuid          NOT NULL,
  fees         numeric(12,4) NOT NULL DEFAULT 0,
  currency     char(3)       NOT NULL,
  note         text,
  updated_at   timestamptz   NOT NULL,
  CONSTRAINT trades_qty_positive CHECK (qty > 0),
  CONSTRAINT trades_price_positive CHECK (price > 0)
);

-- trade number i (1..n) gets id i + 3*(i/97): ids have gaps, like any table with rollbacks.
INSERT INTO public.trades (id, user_id, strategy_id, symbol, side, qty, price, executed_at, venue,
                           order_id, fees, currency, note, updated_at)
SELECT i + 3 * (i / 97), uid,
       CASE WHEN pg_temp.u(i, :seed + 24) < 0.7 THEN 1 + pg_temp.ui(i, :seed + 25, :n_strat)::int END,
       sym.symbol, side::public.order_side, qty, price, ts,
       CASE WHEN cardinality(sym.alts) = 0 OR pg_temp.u(i, :seed + 26) < 0.7 THEN sym.mic
            ELSE pg_temp.pick(sym.alts, i, :seed + 27) END,
       pg_temp.uuid_of(i, :seed + 35),
       CASE WHEN :'region' = 'eu' THEN round(greatest(1.0, qty * price * 0.0005), 4)
            WHEN side = 'sell' THEN round(qty * price * 0.0000278, 4) ELSE 0 END,
       sym.ccy,
       CASE WHEN pg_temp.u(i, :seed + 28) < 0.03 THEN pg_temp.pick(
         ARRAY['manual override by desk','client phoned in','venue corrected after break',
               'partial fill, remainder cancelled','dividend reinvestment','late booking',
               'price adjusted per broker statement','error account transfer'], i, :seed + 29) END,
       ts + CASE WHEN pg_temp.u(i, :seed + 30) < 0.9 THEN interval '1 day' * (1 + pg_temp.ui(i, :seed + 31, 2))
                 ELSE interval '0' END
FROM (
  SELECT x.*, sym.idx,
         ((td.d + sym.open_local) AT TIME ZONE sym.tz) + pg_temp.u(i, :seed + 22) * sym.session AS ts
  FROM (
    SELECT i, 1 + floor(:n_users * power(pg_temp.u(i, :seed + 20), 1.7))::bigint AS uid,
           CASE WHEN pg_temp.u(i, :seed + 23) < 0.55 THEN 'buy' ELSE 'sell' END AS side
    FROM generate_series(1, :n_trades) AS g(i)
  ) x
  JOIN pg_temp.ucal uc ON uc.id = x.uid
  JOIN pg_temp.td ON td.di = uc.lo + floor(pg_temp.u(x.i, :seed + 21) * (:n_td - uc.lo + 1))::int
  JOIN pg_temp.usym us ON us.k = (x.uid * 7 + pg_temp.ui(x.i, :seed + 32, 3) * 5) % :n_usym
  JOIN pg_temp.sym ON sym.idx = us.idx
  OFFSET 0
) y
JOIN pg_temp.sym ON sym.idx = y.idx
CROSS JOIN LATERAL (SELECT pg_temp.q(pg_temp.px(sym.base, sym.idx, y.ts), sym.tick) AS price OFFSET 0) pr
CROSS JOIN LATERAL (
  SELECT CASE WHEN :'region' = 'us' AND pg_temp.u(i, :seed + 33) < 0.15
              THEN greatest(0.0001, round((notional / price::float8)::numeric, 4))
              ELSE greatest(1, round((notional / price::float8)::numeric, 0)) END AS qty
  FROM (SELECT exp(ln(300) + pg_temp.u(i, :seed + 34) * ln(300)) AS notional) n
) qq;

-- ================================================================ positions (derived from trades)
CREATE TABLE public.positions (
  user_id       bigint        NOT NULL,
  symbol        text          NOT NULL,
\if :is_us
  qty           numeric(20,8) NOT NULL,   -- drift: US holds fractional shares (DRIP) to 8 dp
\else
  qty           numeric(18,4) NOT NULL,
\endif
  avg_price     numeric(18,6) NOT NULL,
  realized_pnl  numeric(18,2) NOT NULL DEFAULT 0,
  currency      char(3)       NOT NULL,
  opened_at     timestamptz   NOT NULL,
  updated_at    timestamptz   NOT NULL,
  PRIMARY KEY (user_id, symbol)
);
INSERT INTO public.positions (user_id, symbol, qty, avg_price, realized_pnl, currency, opened_at, updated_at)
SELECT user_id, symbol,
       net + CASE WHEN :'region' = 'us' AND pg_temp.u(user_id * 1000 + h, :seed + 40) < 0.25
                  THEN round((pg_temp.u(user_id * 1000 + h, :seed + 41) * 0.01)::numeric, 8) ELSE 0 END,
       round(buy_notional / nullif(buy_qty, 0), 6),
       round(sell_notional - sell_qty * coalesce(buy_notional / nullif(buy_qty, 0), 0), 2),
       currency, opened_at, updated_at
FROM (
  SELECT user_id, symbol, min(currency) AS currency,
         sum(CASE side WHEN 'buy' THEN qty ELSE -qty END) AS net,
         sum(qty) FILTER (WHERE side = 'buy') AS buy_qty,
         sum(qty * price) FILTER (WHERE side = 'buy') AS buy_notional,
         coalesce(sum(qty) FILTER (WHERE side = 'sell'), 0) AS sell_qty,
         coalesce(sum(qty * price) FILTER (WHERE side = 'sell'), 0) AS sell_notional,
         min(executed_at) AS opened_at, max(updated_at) AS updated_at,
         abs(hashtext(symbol)) % 997 AS h
  FROM public.trades GROUP BY user_id, symbol
) a
WHERE net > 0 AND buy_qty > 0;

-- ================================================================ AI decisions
CREATE TABLE public.ai_decisions (
  id             bigserial PRIMARY KEY,
  strategy_id    integer     NOT NULL,
  user_id        bigint      NOT NULL,
  symbol         text        NOT NULL,
  decided_at     timestamptz NOT NULL,
  action         text        NOT NULL,
  confidence     real        NOT NULL,
  model_version  text        NOT NULL,
  input_digest   bytea       NOT NULL,
  rationale      jsonb       NOT NULL,
  latency_ms     integer     NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CONSTRAINT ai_decisions_action_check CHECK (action IN ('buy','sell','hold','reduce')),
  CONSTRAINT ai_decisions_confidence_check CHECK (confidence >= 0 AND confidence <= 1)
);
-- decision d: 80% (d % 10 < 8) led to a trade (same user/symbol/side, decided just before);
-- the rest are 'hold'/'reduce' decisions that traded nothing.
CREATE TEMP TABLE dec ON COMMIT DROP AS
SELECT d,
       CASE WHEN d % 10 < 8 THEN t.id END AS trade_id,
       coalesce(t.user_id, hu.id) AS user_id,
       coalesce(t.symbol, hs.symbol) AS symbol,
       coalesce(t.strategy_id, 1 + pg_temp.ui(d, :seed + 52, :n_strat)::int) AS strategy_id,
       CASE WHEN d % 10 < 8 THEN t.side::text
            WHEN pg_temp.u(d, :seed + 53) < 0.8 THEN 'hold' ELSE 'reduce' END AS action,
       CASE WHEN d % 10 < 8
            THEN t.executed_at - interval '1 millisecond' * (40 + pg_temp.ui(d, :seed + 54, 300000))
            ELSE greatest(hu.created_at, timestamptz '2025-11-01 00:00:00+00')
                 + pg_temp.u(d, :seed + 55) * (timestamptz '2026-10-31 20:00:00+00'
                                               - greatest(hu.created_at, timestamptz '2025-11-01 00:00:00+00'))
       END AS decided_at
FROM generate_series(1, :n_dec) AS g(d)
LEFT JOIN public.trades t
       ON d % 10 < 8 AND t.id = (1 + pg_temp.ui(d, :seed + 50, :n_trades)) + 3 * ((1 + pg_temp.ui(d, :seed + 50, :n_trades)) / 97)
LEFT JOIN public.users hu ON d % 10 >= 8 AND hu.id = 1 + pg_temp.ui(d, :seed + 51, :n_users)
LEFT JOIN pg_temp.usym hk ON d % 10 >= 8 AND hk.k = pg_temp.ui(d, :seed + 56, :n_usym)
LEFT JOIN pg_temp.sym hs ON hs.idx = hk.idx;

INSERT INTO public.ai_decisions (id, strategy_id, user_id, symbol, decided_at, action, confidence,
                                 model_version, input_digest, rationale, latency_ms, created_at, updated_at)
SELECT d, strategy_id, user_id, symbol, decided_at, action,
       CASE WHEN trade_id IS NOT NULL THEN 0.55 + 0.44 * pg_temp.u(d, :seed + 60)
            ELSE 0.30 + 0.40 * pg_temp.u(d, :seed + 60) END::real,
       CASE WHEN pg_temp.u(d, :seed + 61) < 0.1 THEN 'llm-router-0.9'
            WHEN decided_at < '2026-02-01' THEN 'gbm-2025.11'
            WHEN decided_at < '2026-06-01' THEN 'gbm-2026.03'
            WHEN decided_at < '2026-09-01' THEN 'tft-1.4.2' ELSE 'tft-1.5.0' END,
       decode(md5(:'region' || ':features:' || d), 'hex'),
       jsonb_build_object(
         'regime', pg_temp.pick('{trending,mean-reverting,volatile,calm}', d, :seed + 62),
         'signals', jsonb_build_object(
            'momentum_20d', round((pg_temp.u(d, :seed + 63) * 2 - 1)::numeric, 4),
            'rsi_14', round((15 + 70 * pg_temp.u(d, :seed + 64))::numeric, 2),
            'news_sentiment', round((pg_temp.u(d, :seed + 65) * 2 - 1)::numeric, 3)),
         'top_features', jsonb_build_array(
            pg_temp.pick('{spread_bps,vol_5m,imbalance_l1,ret_1d,ret_5d,rsi_14}', d, :seed + 66),
            pg_temp.pick('{beta_spx,sector_mom,news_sent,earnings_days,vwap_dev,flow_z}', d, :seed + 67)),
         'guardrails', jsonb_build_object('max_position_ok', pg_temp.u(d, :seed + 68) < 0.97,
                                          'kill_switch', false)),
       5 + pg_temp.ui(d, :seed + 69, 400)::int,
       decided_at, decided_at
FROM pg_temp.dec;

CREATE TABLE public.ai_decision_features (
  id           bigserial PRIMARY KEY,
  decision_id  bigint           NOT NULL,
  feature_name text             NOT NULL,
  value        double precision NOT NULL,
  importance   real             NOT NULL,
  CONSTRAINT ai_decision_features_importance_check CHECK (importance >= 0)
);
-- exactly 3 features per decision
INSERT INTO public.ai_decision_features (id, decision_id, feature_name, value, importance)
SELECT (d - 1) * 3 + f + 1, d,
       (ARRAY['spread_bps','vol_5m','imbalance_l1','ret_1d','ret_5d','rsi_14',
              'beta_spx','sector_mom','news_sent','earnings_days','vwap_dev','flow_z'])
         [1 + (pg_temp.ui(d, :seed + 70, 12)::int + f * 4) % 12],
       (pg_temp.u(d * 3 + f, :seed + 71) + pg_temp.u(d * 3 + f, :seed + 72) + pg_temp.u(d * 3 + f, :seed + 73) - 1.5) * 2.0,
       (pg_temp.u(d * 3 + f, :seed + 74) / (f + 1))::real
FROM generate_series(1, :n_dec) AS g(d), generate_series(0, 2) AS h(f);

CREATE TABLE public.ai_trade_outcomes (
  id            bigserial PRIMARY KEY,
  decision_id   bigint        NOT NULL,
  trade_id      bigint,
  horizon       interval      NOT NULL,
  pnl           numeric(18,2) NOT NULL,
  return_bps    numeric(10,2) NOT NULL,
  label         text          NOT NULL,
  evaluated_at  timestamptz   NOT NULL,
  CONSTRAINT ai_trade_outcomes_label_check CHECK (label IN ('win','loss','flat'))
);
-- one outcome per decision with d % 5 <> 0 (id = d - d/5)
INSERT INTO public.ai_trade_outcomes (id, decision_id, trade_id, horizon, pnl, return_bps, label, evaluated_at)
SELECT d - d / 5, d, trade_id, horizon,
       round((CASE WHEN t.id IS NULL THEN 0 ELSE t.qty * t.price END * bps / 10000.0)::numeric, 2),
       round(bps::numeric, 2),
       CASE WHEN bps > 5 THEN 'win' WHEN bps < -5 THEN 'loss' ELSE 'flat' END,
       decided_at + horizon
FROM (SELECT dec.*, (ARRAY[interval '15 minutes', interval '1 hour', interval '1 day', interval '5 days'])
                      [1 + pg_temp.ui(d, :seed + 80, 4)::int] AS horizon,
             (pg_temp.u(d, :seed + 81) + pg_temp.u(d, :seed + 82) - 0.97) * 120 AS bps
      FROM pg_temp.dec WHERE d % 5 <> 0) o
LEFT JOIN public.trades t ON t.id = o.trade_id;

CREATE TABLE public.ai_calibration_log (
  id             bigserial PRIMARY KEY,
  model_version  text             NOT NULL,
  bucket         smallint         NOT NULL,
  predicted_prob double precision NOT NULL,
  observed_freq  double precision NOT NULL,
  n_samples      integer          NOT NULL,
  brier_score    double precision NOT NULL,
  window_start   timestamptz      NOT NULL,
  window_end     timestamptz      NOT NULL,
  logged_at      timestamptz      NOT NULL,
  CONSTRAINT ai_calibration_log_bucket_check CHECK (bucket BETWEEN 0 AND 9)
);
-- 10 buckets x 5 models per evaluation window, windows spread over the last 12 months
INSERT INTO public.ai_calibration_log (id, model_version, bucket, predicted_prob, observed_freq, n_samples,
                                       brier_score, window_start, window_end, logged_at)
SELECT c, (ARRAY['gbm-2025.11','gbm-2026.03','tft-1.4.2','tft-1.5.0','llm-router-0.9'])[1 + (c / 10) % 5],
       (c % 10)::smallint, (c % 10 + 0.5) / 10.0,
       least(1.0, greatest(0.0, (c % 10 + 0.5) / 10.0 + (pg_temp.u(c, :seed + 90) - 0.5) * 0.12)),
       20 + pg_temp.ui(c, :seed + 91, 500)::int,
       0.15 + 0.1 * pg_temp.u(c, :seed + 92),
       ws, ws + interval '1 day', ws + interval '1 day' + interval '7 minutes' + pg_temp.u(c, :seed + 93) * interval '20 minutes'
FROM (SELECT c, timestamptz '2025-11-01 00:00:00+00'
                  + interval '1 day' * floor((c / 50)::float8 * 364 / greatest(1, :n_cal / 50)) AS ws
      FROM generate_series(1, :n_cal) AS g(c)) x;

-- ================================================================ agent_status (drifted shape)
CREATE TABLE public.agent_status (
  agent_id        text        PRIMARY KEY,
  agent_kind      text        NOT NULL,
  state           text        NOT NULL,
  host            text        NOT NULL,
  pid             integer,
  last_heartbeat  timestamptz NOT NULL,
\if :is_us
  heartbeat_seq   bigint      NOT NULL,          -- drift: bigint on US (int4 on EU), values > 2^31
  version         varchar(32) NOT NULL,          -- drift: varchar(32) on US (16 on EU)
  region          text        NOT NULL DEFAULT 'us-east-1',   -- drift: US-only column
\else
  heartbeat_seq   integer     NOT NULL,
  version         varchar(16) NOT NULL,
\endif
  config          jsonb       NOT NULL DEFAULT '{}',
  updated_at      timestamptz NOT NULL,
  CONSTRAINT agent_status_state_check CHECK (state IN ('running','degraded','stopped','starting'))
);
INSERT INTO public.agent_status (agent_id, agent_kind, state, host, pid, last_heartbeat, heartbeat_seq, version,
\if :is_us
                                 region,
\endif
                                 config, updated_at)
SELECT kind || '-' || lpad((1 + (a - 1) / 6)::text, 2, '0'), kind, state,
       format('%s-%s-%s.internal', :'region', replace(kind, '-', ''), lpad(pg_temp.ui(a, :seed + 101, 40)::text, 2, '0')),
       CASE WHEN state <> 'stopped' THEN 1000 + pg_temp.ui(a, :seed + 102, 60000)::int END,
       hb,
\if :is_us
       CASE WHEN kind = 'md-gateway' THEN 2147483648 + pg_temp.ui(a, :seed + 103, 4000000000)
            ELSE pg_temp.ui(a, :seed + 103, 90000000) END,
       CASE WHEN a % 4 = 0 THEN '4.12.' || (a % 7) || '-hotfix.' || (1 + a % 3) || '+build.20261030' ELSE '4.12.' || (a % 7) END,
       (ARRAY['us-east-1','us-east-2','us-west-2'])[1 + a % 3],
\else
       pg_temp.ui(a, :seed + 103, 90000000)::int,
       '4.11.' || (a % 9),
\endif
       jsonb_build_object('poll_ms', 250 * (1 + a % 8), 'max_inflight', 16 * (1 + a % 4),
                          'feature_flags', jsonb_build_array('ai-sizing', CASE WHEN a % 2 = 0 THEN 'fast-cancel' ELSE 'twap-v2' END)),
       hb
FROM (SELECT a, (ARRAY['exec-router','risk-guard','ai-signal','md-gateway','recon','fix-session'])[1 + (a - 1) % 6] AS kind,
             CASE WHEN pg_temp.u(a, :seed + 104) < 0.75 THEN 'running' WHEN pg_temp.u(a, :seed + 104) < 0.87 THEN 'degraded'
                  WHEN pg_temp.u(a, :seed + 104) < 0.95 THEN 'stopped' ELSE 'starting' END AS state,
             timestamptz '2026-10-31 23:59:00+00' - pg_temp.u(a, :seed + 105) * interval '90 seconds'
               - CASE WHEN pg_temp.u(a, :seed + 104) >= 0.87 AND pg_temp.u(a, :seed + 104) < 0.95
                      THEN interval '1 day' * (1 + pg_temp.ui(a, :seed + 106, 30)) ELSE interval '0' END AS hb
      FROM generate_series(1, :n_agents) AS g(a)) x;

-- ================================================================ keys, indexes, sequences
ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX users_country_status_idx ON public.users (country, status);
ALTER TABLE public.strategies ADD CONSTRAINT strategies_code_key UNIQUE (code);
CREATE INDEX trades_user_id_executed_at_idx ON public.trades (user_id, executed_at);
CREATE INDEX trades_symbol_executed_at_idx ON public.trades (symbol, executed_at);
CREATE INDEX trades_order_id_idx ON public.trades (order_id);
CREATE INDEX trades_updated_at_idx ON public.trades (updated_at);
CREATE INDEX positions_symbol_idx ON public.positions (symbol);
CREATE INDEX ai_decisions_user_id_decided_at_idx ON public.ai_decisions (user_id, decided_at);
CREATE INDEX ai_decisions_rationale_gin ON public.ai_decisions USING gin (rationale jsonb_path_ops);
CREATE UNIQUE INDEX ai_decision_features_decision_feature_key ON public.ai_decision_features (decision_id, feature_name);
CREATE INDEX ai_trade_outcomes_decision_id_idx ON public.ai_trade_outcomes (decision_id);
CREATE INDEX ai_trade_outcomes_trade_id_idx ON public.ai_trade_outcomes (trade_id) WHERE trade_id IS NOT NULL;
CREATE INDEX ai_calibration_log_model_window_idx ON public.ai_calibration_log (model_version, window_start);
CREATE INDEX users_tags_gin ON public.users USING gin (tags);

ALTER TABLE public.strategies ADD CONSTRAINT strategies_owner_user_id_fkey
  FOREIGN KEY (owner_user_id) REFERENCES public.users (id) ON DELETE SET NULL;
ALTER TABLE public.trades ADD CONSTRAINT trades_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES public.users (id);
ALTER TABLE public.trades ADD CONSTRAINT trades_strategy_id_fkey
  FOREIGN KEY (strategy_id) REFERENCES public.strategies (id);
ALTER TABLE public.positions ADD CONSTRAINT positions_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE;
ALTER TABLE public.ai_decisions ADD CONSTRAINT ai_decisions_strategy_id_fkey
  FOREIGN KEY (strategy_id) REFERENCES public.strategies (id);
ALTER TABLE public.ai_decisions ADD CONSTRAINT ai_decisions_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES public.users (id);
ALTER TABLE public.ai_decision_features ADD CONSTRAINT ai_decision_features_decision_id_fkey
  FOREIGN KEY (decision_id) REFERENCES public.ai_decisions (id) ON DELETE CASCADE;
ALTER TABLE public.ai_trade_outcomes ADD CONSTRAINT ai_trade_outcomes_decision_id_fkey
  FOREIGN KEY (decision_id) REFERENCES public.ai_decisions (id) ON DELETE CASCADE;
ALTER TABLE public.ai_trade_outcomes ADD CONSTRAINT ai_trade_outcomes_trade_id_fkey
  FOREIGN KEY (trade_id) REFERENCES public.trades (id);

SELECT setval(pg_get_serial_sequence('public.users', 'id'), (SELECT max(id) FROM public.users));
SELECT setval(pg_get_serial_sequence('public.strategies', 'id'), (SELECT max(id) FROM public.strategies));
SELECT setval(pg_get_serial_sequence('public.trades', 'id'), (SELECT max(id) FROM public.trades));
SELECT setval(pg_get_serial_sequence('public.ai_decisions', 'id'), (SELECT max(id) FROM public.ai_decisions));
SELECT setval(pg_get_serial_sequence('public.ai_decision_features', 'id'), (SELECT max(id) FROM public.ai_decision_features));
SELECT setval(pg_get_serial_sequence('public.ai_trade_outcomes', 'id'), (SELECT max(id) FROM public.ai_trade_outcomes));
SELECT setval(pg_get_serial_sequence('public.ai_calibration_log', 'id'), (SELECT max(id) FROM public.ai_calibration_log));

-- a reporting view the application reads
CREATE VIEW public.v_open_positions AS
  SELECT p.user_id, u.email, u.country, p.symbol, p.qty, p.avg_price, p.currency,
         p.qty * p.avg_price AS cost_basis, p.updated_at
  FROM public.positions p JOIN public.users u ON u.id = p.user_id
  WHERE u.status <> 'closed';
