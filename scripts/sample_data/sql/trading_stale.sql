-- Stale, never-read leftovers in `public` of the trading instances: old timestamps in the
-- data, no foreign keys to or from live tables, and (after load.sh) zero scans in
-- pg_stat_user_tables. They are what `tributary_archive` should pick up.
-- psql variables: region, is_us, seed, n_tmp_import, n_promo, n_kyc, n_fix.

-- ---------------------------------------------------------------- tmp_import_2019 (both)
-- A one-off CSV import staging table: no key, no index, timestamps without time zone.
CREATE TABLE public.tmp_import_2019 (
  id           integer,
  batch_id     text,
  source_file  text,
  line_no      integer,
  raw_line     text,
  parsed       boolean,
  imported_at  timestamp
);
INSERT INTO public.tmp_import_2019
SELECT i, 'B2019-' || lpad((1 + i / 500)::text, 3, '0'),
       format('/srv/import/%s/positions_%s.csv', :'region', to_char(day, 'YYYYMMDD')),
       1 + i % 500,
       concat_ws(';', to_char(day, 'YYYY-MM-DD'),
                 pg_temp.pick('{DE0007164600,DE0007236101,NL0010273215,FR0000121014,US0378331005,US5949181045}', i, :seed + 201),
                 pg_temp.pick('{BUY,SELL}', i, :seed + 202),
                 (1 + pg_temp.ui(i, :seed + 203, 500))::text,
                 to_char(10 + 300 * pg_temp.u(i, :seed + 204), 'FM99990.00'),
                 CASE WHEN :'region' = 'us' THEN 'USD' ELSE 'EUR' END),
       pg_temp.u(i, :seed + 205) < 0.93,
       (day + time '02:00' + pg_temp.u(i, :seed + 206) * interval '3 hours')::timestamp
FROM (SELECT i, date '2019-02-01' + (i / 500) * 7 AS day
      FROM generate_series(1, :n_tmp_import) AS g(i)) x;

-- ---------------------------------------------------------------- legacy_promo_codes (both)
CREATE TABLE public.legacy_promo_codes (
  code          varchar(24)  PRIMARY KEY,
  description   text         NOT NULL,
  discount_pct  numeric(5,2) NOT NULL,
  channel       text,
  valid_from    date         NOT NULL,
  valid_to      date         NOT NULL,
  max_uses      integer,
  times_used    integer      NOT NULL DEFAULT 0,
  created_at    timestamp    NOT NULL,
  CONSTRAINT legacy_promo_codes_discount_check CHECK (discount_pct > 0 AND discount_pct <= 100),
  CONSTRAINT legacy_promo_codes_valid_check CHECK (valid_to >= valid_from)
);
INSERT INTO public.legacy_promo_codes
SELECT camp || to_char(vf, 'YY') || '-' || lpad(i::text, 5, '0'),
       initcap(lower(camp)) || ' campaign ' || to_char(vf, 'YYYY') || ': ' ||
         CASE WHEN pg_temp.u(i, :seed + 211) < 0.5 THEN 'reduced commission' ELSE 'fee-free trades' END,
       round((5 + 45 * pg_temp.u(i, :seed + 212))::numeric, 2),
       pg_temp.pick('{email,affiliate,app,partner,podcast}', i, :seed + 213),
       vf, vf + (14 + pg_temp.ui(i, :seed + 214, 90))::int,
       CASE WHEN pg_temp.u(i, :seed + 215) < 0.7 THEN 100 * (1 + pg_temp.ui(i, :seed + 216, 50))::int END,
       pg_temp.ui(i, :seed + 217, 100)::int,
       (vf - 10 + time '09:00' + pg_temp.u(i, :seed + 218) * interval '8 hours')::timestamp
FROM (SELECT i, pg_temp.pick('{WELCOME,SPRING,SUMMER,BLACKFRIDAY,REFER,XMAS,DIVIDEND}', i, :seed + 210) AS camp,
             date '2016-03-01' + pg_temp.ui(i, :seed + 219, 1300)::int AS vf
      FROM generate_series(1, :n_promo) AS g(i)) x;

-- ---------------------------------------------------------------- backup_users_20200101 (both)
-- CREATE TABLE AS backup of the users that existed on 2020-01-01: no key, status as text,
-- e-mails duplicated from the live table (PII in a stale table).
CREATE TABLE public.backup_users_20200101 AS
SELECT id, email, full_name, country::text AS country, status::text AS status, created_at,
       created_at + pg_temp.u(id, :seed + 221) * (timestamptz '2020-01-01 00:00:00+00' - created_at) AS updated_at
FROM public.users
WHERE created_at < timestamptz '2020-01-01 00:00:00+00'
ORDER BY id;

\if :is_us
-- ---------------------------------------------------------------- zz_trades_fix_2021 (US)
-- Leftover of a 2021 price-correction hotfix: trade ids without a foreign key.
CREATE TABLE public.zz_trades_fix_2021 (
  trade_id   bigint,
  old_price  numeric,
  new_price  numeric,
  reason     text,
  fixed_by   text,
  fixed_at   timestamptz
);
INSERT INTO public.zz_trades_fix_2021
SELECT 900000 + i, round((20 + 400 * pg_temp.u(i, :seed + 231))::numeric, 4),
       round((20 + 400 * pg_temp.u(i, :seed + 231))::numeric * (1 + (pg_temp.u(i, :seed + 232) - 0.5) / 100)::numeric, 4),
       pg_temp.pick('{"INC-4412 stale quote","INC-4412 wrong venue price","INC-4420 odd-lot rounding"}', i, :seed + 233),
       pg_temp.pick('{jdoe,asmith,ops-bot}', i, :seed + 234),
       timestamptz '2021-03-15 22:00:00+00' + pg_temp.u(i, :seed + 235) * interval '3 days'
FROM generate_series(1, :n_fix) AS g(i);
\else
-- ---------------------------------------------------------------- old_kyc_audit_2018 (EU)
CREATE TABLE public.old_kyc_audit_2018 (
  id          serial PRIMARY KEY,
  user_ref    bigint       NOT NULL,
  check_type  text         NOT NULL,
  provider    text         NOT NULL,
  result      text         NOT NULL,
  score       numeric(5,2),
  payload     jsonb,
  checked_at  timestamptz  NOT NULL,
  CONSTRAINT old_kyc_audit_2018_result_check CHECK (result IN ('pass','fail','review'))
);
INSERT INTO public.old_kyc_audit_2018 (id, user_ref, check_type, provider, result, score, payload, checked_at)
SELECT i, 1 + pg_temp.ui(i, :seed + 241, 3000),
       pg_temp.pick('{id_document,address_proof,pep_screening,sanctions,liveness}', i, :seed + 242),
       pg_temp.pick('{idnow,onfido,veriff,in-house}', i, :seed + 243),
       CASE WHEN pg_temp.u(i, :seed + 244) < 0.88 THEN 'pass' WHEN pg_temp.u(i, :seed + 244) < 0.95 THEN 'review' ELSE 'fail' END,
       round((40 + 60 * pg_temp.u(i, :seed + 245))::numeric, 2),
       jsonb_build_object('doc_country', pg_temp.pick(pg_temp.pool('eu_country'), i, :seed + 246),
                          'attempt', 1 + pg_temp.ui(i, :seed + 247, 3),
                          'reviewer', CASE WHEN pg_temp.u(i, :seed + 248) < 0.2 THEN 'compliance-team' END),
       timestamptz '2018-01-02 08:00:00+00' + pg_temp.u(i, :seed + 249) * interval '362 days'
FROM generate_series(1, :n_kyc) AS g(i);
SELECT setval(pg_get_serial_sequence('public.old_kyc_audit_2018', 'id'), (SELECT max(id) FROM public.old_kyc_audit_2018));
\endif
