-- Session-local helpers for the sample-data generator (scripts/sample_data/load.sh).
--
-- Everything here lives in pg_temp: it vanishes with the session and never shows up
-- in discovery. Randomness is hash-based (hashint8extended), so the same key and salt
-- give the same value in every run, on every PostgreSQL >= 11, in any row order.

SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 1;
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET synchronous_commit = off;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';

-- uniform double in [0, 1) from (key, salt)
CREATE OR REPLACE FUNCTION pg_temp.u(k bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(k, salt) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$;

-- integer in [0, n)
CREATE OR REPLACE FUNCTION pg_temp.ui(k bigint, salt int, n bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT floor(pg_temp.u(k, salt) * n)::bigint $$;

-- one element of an array
CREATE OR REPLACE FUNCTION pg_temp.pick(a text[], k bigint, salt int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT a[1 + floor(pg_temp.u(k, salt) * cardinality(a))::int] $$;

-- round a float to a tick size, as numeric
CREATE OR REPLACE FUNCTION pg_temp.q(x float8, tick numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT round(x / tick::float8)::bigint * tick $$;

-- deterministic RFC-4122-shaped (version 4, variant 1) uuid from (key, salt)
CREATE OR REPLACE FUNCTION pg_temp.uuid_of(k bigint, salt int) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (lpad(to_hex(hashint8extended(k, salt) & 281474976710655), 12, '0')
          || '4' || lpad(to_hex((hashint8extended(k, salt) >> 48) & 4095), 3, '0')
          || substr('89ab', 1 + (hashint8extended(k, salt + 1) & 3)::int, 1)
          || lpad(to_hex((hashint8extended(k, salt + 1) >> 2) & 4095), 3, '0')
          || lpad(to_hex((hashint8extended(k, salt + 1) >> 16) & 281474976710655), 12, '0'))::uuid $$;

-- ASCII e-mail local part from a (possibly accented) name
CREATE OR REPLACE FUNCTION pg_temp.fold(x text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT regexp_replace(
            translate(
              replace(replace(replace(replace(replace(replace(replace(replace(lower(x),
                'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'), 'ø', 'oe'), 'å', 'aa'),
              'éèêëáàâãíìîïóòôõúùûñçłśźżćńęąšžčřýśőű',
              'eeeeaaaaiiiioooouuunclszzcneaszcrysou'),
            '[^a-z]', '', 'g') $$;

-- Smooth, deterministic mid price of instrument `sidx` at time `ts`
-- (three superposed waves with instrument-specific phases, around `base`).
-- (STABLE, not IMMUTABLE: date_part on timestamptz is stable, and a mismatch would stop
-- the planner from inlining the function, which makes it ~30x slower.)
CREATE OR REPLACE FUNCTION pg_temp.px(base float8, sidx int, ts timestamptz) RETURNS float8
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT base * exp(
        0.16  * sin(2 * pi() * date_part('epoch', ts) / 86400.0 / 97.0 + 6.2832 * pg_temp.u(sidx, 9011))
      + 0.05  * sin(2 * pi() * date_part('epoch', ts) / 86400.0 / 11.3 + 6.2832 * pg_temp.u(sidx, 9012))
      + 0.012 * sin(2 * pi() * date_part('epoch', ts) / 86400.0 / 0.71 + 6.2832 * pg_temp.u(sidx, 9013))) $$;

-- ---------------------------------------------------------------- name pools
CREATE OR REPLACE FUNCTION pg_temp.pool(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE name
 WHEN 'eu_first' THEN ARRAY['Anna','Lukas','Sophie','Jonas','Marie','Léa','Hugo','Chloé','Lucas','Emma',
   'Mateo','Lucía','Sofía','Giulia','Lorenzo','Francesco','Aurora','Jan','Zofia','Jakub','Łukasz',
   'Agnieszka','Sanne','Daan','Lotte','Sven','Ingrid','Björn','Åsa','Jürgen','Søren','Zoë','Niamh',
   'Seán','Eoin','Matteo','Chiara','Élodie','Théo','Maëlle','Tomás','Inés','João','Mariana',
   'Dimitris','Eleni','Katarína','Ondřej','Zsófia','Mikkel']
 WHEN 'eu_last' THEN ARRAY['Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker',
   'Dubois','Martin','Bernard','Lefèvre','Moreau','García','Fernández','López','Martínez','Rossi',
   'Russo','Bianchi','Romano','Kowalski','Nowak','Wiśniewski','Wójcik','de Vries','van Dijk','Jansen',
   'Bakker','Andersson','Johansson','Nielsen','Hansen','O''Brien','Murphy','Kelly','Silva','Santos',
   'Papadopoulos','Novák','Horváth','Kovačević','Gruber','Huber','Peeters','Janssens','Virtanen',
   'Korhonen','Costa','Ferreira']
 WHEN 'us_first' THEN ARRAY['James','Mary','Michael','Patricia','Robert','Jennifer','John','Linda',
   'David','Elizabeth','William','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah',
   'Christopher','Karen','Daniel','Emily','Matthew','Ashley','Anthony','Olivia','Mark','Ava','Ethan',
   'Mia','Noah','Isabella','Liam','Sophia','José','Maria','Wei','Priya','Hiroshi','Aaliyah','DeShawn',
   'Mei','Tyler','Brianna','Kevin','Samantha','Jamal','Ximena','Arjun','Hannah']
 WHEN 'us_last' THEN ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis',
   'Rodriguez','Martinez','Hernandez','Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore',
   'Jackson','Martin','Lee','Perez','Thompson','White','Harris','Sanchez','Clark','Ramirez','Lewis',
   'Robinson','Walker','Young','Allen','King','Wright','Scott','Nguyen','Hill','Flores','Green',
   'Patel','Kim','Chen','O''Connor','Washington','Okafor','Cohen','Yamamoto','Schwartz','Rivera']
 WHEN 'eu_domain' THEN ARRAY['gmx.example','web.example','mail.example','proton.example','outlook.example',
   'gmail.example','orange.example','libero.example','wp.example','ziggo.example']
 WHEN 'us_domain' THEN ARRAY['gmail.example','yahoo.example','outlook.example','icloud.example',
   'aol.example','comcast.example','proton.example']
 WHEN 'eu_country' THEN ARRAY['DE','DE','DE','DE','FR','FR','FR','NL','NL','ES','ES','IT','IT','PL',
   'AT','BE','IE','SE','DK','PT','GR','CZ','FI','LU']
 WHEN 'us_country' THEN ARRAY['US','US','US','US','US','US','US','US','US','US','US','US','CA','CA','MX','PR']
 WHEN 'tags' THEN ARRAY['vip','beta','api','margin','options','pro','dormant','kyc-refresh']
END $$;

-- ---------------------------------------------------------------- persons
-- A person is identified by a person key P: even P = 2*i is EU user i, odd P = 2*j+1 is a
-- US-only user j. Attributes depend on P only (global salts), so a person shared by both
-- instances looks identical wherever it is generated.
CREATE OR REPLACE FUNCTION pg_temp.person(p bigint)
RETURNS TABLE (first_name text, last_name text, alt_last_name text, email text, country text,
               status text, tags text[], created_at timestamptz, updated_at timestamptz,
               lww_delta interval)
LANGUAGE sql IMMUTABLE AS $$
  WITH b AS (
    SELECT CASE WHEN p % 2 = 0 THEN 'eu' ELSE 'us' END AS r,
           timestamptz '2018-01-01 00:00:00+00'
             + sqrt(pg_temp.u(p, 101)) * (timestamptz '2026-08-31 00:00:00+00' - timestamptz '2018-01-01 00:00:00+00') AS c
  ), n AS (
    SELECT b.*,
           pg_temp.pick(pg_temp.pool(r || '_first'), p, 102) AS f,
           pg_temp.ui(p, 103, cardinality(pg_temp.pool(r || '_last')))::int AS li,
           cardinality(pg_temp.pool(r || '_last')) AS ln
    FROM b
  )
  SELECT f,
         (pg_temp.pool(r || '_last'))[li + 1],
         (pg_temp.pool(r || '_last'))[(li + 1 + pg_temp.ui(p, 104, ln - 1)::int) % ln + 1],
         CASE WHEN pg_temp.u(p, 105) < 0.6 THEN pg_temp.fold(f) || '.' || pg_temp.fold((pg_temp.pool(r || '_last'))[li + 1])
              WHEN pg_temp.u(p, 105) < 0.8 THEN left(pg_temp.fold(f), 1) || pg_temp.fold((pg_temp.pool(r || '_last'))[li + 1])
              ELSE pg_temp.fold((pg_temp.pool(r || '_last'))[li + 1]) || '_' || pg_temp.fold(f) END
           || p::text || '@' || pg_temp.pick(pg_temp.pool(r || '_domain'), p, 106),
         pg_temp.pick(pg_temp.pool(r || '_country'), p, 107),
         CASE WHEN r = 'us' AND pg_temp.u(p, 108) < 0.02 THEN 'restricted'
              WHEN pg_temp.u(p, 109) < 0.86 THEN 'active'
              WHEN pg_temp.u(p, 109) < 0.92 THEN 'pending'
              WHEN pg_temp.u(p, 109) < 0.96 THEN 'suspended'
              ELSE 'closed' END,
         ARRAY(SELECT t FROM unnest(pg_temp.pool('tags')) WITH ORDINALITY AS x(t, o)
               WHERE pg_temp.u(p, 110 + o::int) < 0.09 ORDER BY o),
         c,
         c + interval '1 hour'
           + pg_temp.u(p, 120) * (timestamptz '2026-10-01 00:00:00+00' - c - interval '1 hour'),
         interval '1 hour' + pg_temp.u(p, 121) * interval '29 days'
  FROM n
$$;

-- ---------------------------------------------------------------- instruments
-- The instrument universe shared by the trading apps and the market data.
CREATE TEMP TABLE sym (
  idx int PRIMARY KEY, symbol text, region text, mic text, alts text[], ccy text,
  base float8, tick numeric, lot int, spread_bps float8, tz text, open_local time, session interval
) ON COMMIT PRESERVE ROWS;
INSERT INTO pg_temp.sym VALUES
 ( 1,'SAP.DE','eu','XETR','{CEUX,TRQX}','EUR',235,0.01,1,2.5,'Europe/Berlin','09:00','8h30m'),
 ( 2,'SIE.DE','eu','XETR','{CEUX,TRQX}','EUR',205,0.02,1,2.5,'Europe/Berlin','09:00','8h30m'),
 ( 3,'ALV.DE','eu','XETR','{CEUX,TRQX}','EUR',345,0.05,1,2.0,'Europe/Berlin','09:00','8h30m'),
 ( 4,'DTE.DE','eu','XETR','{CEUX,TRQX}','EUR', 29,0.005,1,3.0,'Europe/Berlin','09:00','8h30m'),
 ( 5,'ASML.AS','eu','XAMS','{CEUX,TRQX}','EUR',690,0.1,1,2.0,'Europe/Amsterdam','09:00','8h30m'),
 ( 6,'INGA.AS','eu','XAMS','{CEUX}','EUR', 17,0.002,1,3.5,'Europe/Amsterdam','09:00','8h30m'),
 ( 7,'MC.PA','eu','XPAR','{CEUX,TRQX}','EUR',620,0.1,1,2.5,'Europe/Paris','09:00','8h30m'),
 ( 8,'TTE.PA','eu','XPAR','{CEUX}','EUR', 57,0.01,1,3.0,'Europe/Paris','09:00','8h30m'),
 ( 9,'AIR.PA','eu','XPAR','{CEUX,TRQX}','EUR',165,0.02,1,3.0,'Europe/Paris','09:00','8h30m'),
 (10,'SAN.MC','eu','XMAD','{CEUX}','EUR',  7.4,0.001,1,4.0,'Europe/Madrid','09:00','8h30m'),
 (11,'ENEL.MI','eu','MTAA','{CEUX}','EUR',  7.1,0.001,1,4.0,'Europe/Rome','09:00','8h30m'),
 (12,'EUNL.DE','eu','XETR','{}','EUR',102,0.01,1,2.0,'Europe/Berlin','09:00','8h30m'),
 (13,'AAPL','us','XNAS','{ARCX,BATS,EDGX,IEXG}','USD',232,0.01,100,1.0,'America/New_York','09:30','6h30m'),
 (14,'MSFT','us','XNAS','{ARCX,BATS,EDGX,IEXG}','USD',428,0.01,100,1.0,'America/New_York','09:30','6h30m'),
 (15,'NVDA','us','XNAS','{ARCX,BATS,EDGX}','USD',138,0.01,100,1.0,'America/New_York','09:30','6h30m'),
 (16,'AMZN','us','XNAS','{ARCX,BATS,EDGX}','USD',196,0.01,100,1.0,'America/New_York','09:30','6h30m'),
 (17,'GOOGL','us','XNAS','{ARCX,BATS}','USD',171,0.01,100,1.0,'America/New_York','09:30','6h30m'),
 (18,'META','us','XNAS','{ARCX,BATS,EDGX}','USD',565,0.01,100,1.5,'America/New_York','09:30','6h30m'),
 (19,'TSLA','us','XNAS','{ARCX,BATS,EDGX,IEXG}','USD',251,0.01,100,1.5,'America/New_York','09:30','6h30m'),
 (20,'JPM','us','XNYS','{ARCX,BATS}','USD',221,0.01,100,1.5,'America/New_York','09:30','6h30m'),
 (21,'V','us','XNYS','{ARCX,BATS}','USD',289,0.01,100,1.5,'America/New_York','09:30','6h30m'),
 (22,'XOM','us','XNYS','{ARCX,BATS}','USD',116,0.01,100,2.0,'America/New_York','09:30','6h30m'),
 (23,'SPY','us','ARCX','{XNAS,BATS,EDGX,IEXG}','USD',571,0.01,100,0.3,'America/New_York','09:30','6h30m'),
 (24,'QQQ','us','XNAS','{ARCX,BATS,EDGX}','USD',489,0.01,100,0.4,'America/New_York','09:30','6h30m'),
 (25,'BTC-USD','crypto','CBSE','{KRKN,BSTP}','USD',64800,0.01,1,1.0,'UTC','00:00','23h59m58s'),
 (26,'ETH-USD','crypto','CBSE','{KRKN,BSTP}','USD',2610,0.01,1,1.5,'UTC','00:00','23h59m58s'),
 (27,'BTC-EUR','crypto','KRKN','{CBSE}','EUR',59100,0.01,1,1.5,'UTC','00:00','23h59m58s');

-- ---------------------------------------------------------------- calendars
-- Exchange holidays inside the data windows (weekends are excluded separately).
CREATE TEMP TABLE holiday (region text, d date) ON COMMIT PRESERVE ROWS;
INSERT INTO pg_temp.holiday VALUES
 ('eu','2025-12-24'),('eu','2025-12-25'),('eu','2025-12-26'),('eu','2025-12-31'),('eu','2026-01-01'),
 ('eu','2026-04-03'),('eu','2026-04-06'),('eu','2026-05-01'),
 ('us','2025-11-27'),('us','2025-12-25'),('us','2026-01-01'),('us','2026-01-19'),('us','2026-02-16'),
 ('us','2026-04-03'),('us','2026-05-25'),('us','2026-06-19'),('us','2026-07-03'),('us','2026-09-07');

-- Trading days of a calendar ('eu', 'us', or 'crypto' = every day) between two dates.
CREATE OR REPLACE FUNCTION pg_temp.trading_days(cal text, d0 date, d1 date) RETURNS SETOF date
LANGUAGE sql STABLE AS $$
  SELECT d::date FROM generate_series(d0::timestamp, d1::timestamp, interval '1 day') AS g(d)
  WHERE cal = 'crypto'
     OR (extract(isodow FROM d) < 6
         AND NOT EXISTS (SELECT 1 FROM pg_temp.holiday h WHERE h.region = cal AND h.d = g.d::date))
  ORDER BY 1
$$;

-- Settlement date: T+n business days (weekends skipped; holidays ignored).
CREATE OR REPLACE FUNCTION pg_temp.settle(d date, n int) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN n = 0 THEN d ELSE
    d + n + 2 * ((extract(isodow FROM d)::int - 1 + n) / 5) END
$$;

-- One side of an order book: 5 levels of [price, size] away from `mid`.
CREATE OR REPLACE FUNCTION pg_temp.book(mid float8, half float8, tick numeric, dir int, k bigint, lot int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_array(
    jsonb_build_array(pg_temp.q(mid + dir * (half + 0 * tick::float8), tick), (1 + pg_temp.ui(k, 1, 40)) * lot),
    jsonb_build_array(pg_temp.q(mid + dir * (half + 1 * tick::float8), tick), (1 + pg_temp.ui(k, 2, 60)) * lot),
    jsonb_build_array(pg_temp.q(mid + dir * (half + 2 * tick::float8), tick), (1 + pg_temp.ui(k, 3, 80)) * lot),
    jsonb_build_array(pg_temp.q(mid + dir * (half + 4 * tick::float8), tick), (1 + pg_temp.ui(k, 4, 120)) * lot),
    jsonb_build_array(pg_temp.q(mid + dir * (half + 7 * tick::float8), tick), (1 + pg_temp.ui(k, 5, 200)) * lot))
$$;

-- ---------------------------------------------------------------- housekeeping
-- Drop every object in the given schemas except extension members (so an extension the
-- stack installed in `public` survives a reload). Schemas other than public are dropped.
CREATE OR REPLACE FUNCTION pg_temp.reset_schemas(schemas text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname = ANY(schemas) AND nspname <> 'public' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  IF NOT ('public' = ANY(schemas)) OR to_regnamespace('public') IS NULL THEN RETURN; END IF;
  FOR r IN
    SELECT format('DROP %s IF EXISTS %s CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                  format('%I.%I', n.nspname, c.relname)) AS cmd
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S','f') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a','i'))))
    ORDER BY c.relkind = 'v' DESC, c.relkind = 'm' DESC, c.oid
  LOOP EXECUTE r.cmd; END LOOP;
  FOR r IN
    SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure) AS cmd
    FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
  LOOP EXECUTE r.cmd; END LOOP;
  FOR r IN
    SELECT format('DROP %s IF EXISTS %s CASCADE', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                  format('%I.%I', 'public', t.typname)) AS cmd
    FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
      AND t.typtype IN ('e','d','r','c') AND (t.typtype <> 'c' OR
          (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                      AND d.objid = t.oid AND d.deptype = 'e')
  LOOP EXECUTE r.cmd; END LOOP;
END $$;

-- Give every (non-extension) object in the given schemas to `owner`. A `public` schema
-- that a dump handed to a superuser goes back to pg_database_owner (PG 14+) or `owner`.
CREATE OR REPLACE FUNCTION pg_temp.hand_over(owner name, schemas text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record; target oid := (SELECT oid FROM pg_roles WHERE rolname = owner);
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'role "%" does not exist (the stack must create it before loading sample data)', owner;
  END IF;
  FOR r IN SELECT n.oid, n.nspname, a.rolsuper FROM pg_namespace n JOIN pg_roles a ON a.oid = n.nspowner
           WHERE n.nspname = ANY(schemas) LOOP
    IF r.nspname = 'public' THEN
      IF r.rolsuper THEN
        EXECUTE format('ALTER SCHEMA public OWNER TO %I',
                       CASE WHEN to_regrole('pg_database_owner') IS NOT NULL THEN 'pg_database_owner' ELSE owner END);
      END IF;
    ELSE
      EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, owner);
    END IF;
  END LOOP;
  FOR r IN
    SELECT format('ALTER %s %I.%I OWNER TO %I',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                  n.nspname, c.relname, owner) AS cmd
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(schemas) AND c.relkind IN ('r','p','v','m','S','f') AND c.relowner <> target
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a','i'))))
  LOOP EXECUTE r.cmd; END LOOP;
  FOR r IN
    SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, owner) AS cmd
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ANY(schemas) AND p.proowner <> target
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
  LOOP EXECUTE r.cmd; END LOOP;
  FOR r IN
    SELECT format('ALTER %s %I.%I OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                  n.nspname, t.typname, owner) AS cmd
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = ANY(schemas) AND t.typowner <> target
      AND t.typtype IN ('e','d','r','c') AND (t.typtype <> 'c' OR
          (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                      AND d.objid = t.oid AND d.deptype = 'e')
  LOOP EXECUTE r.cmd; END LOOP;
END $$;

-- Fingerprint of what the loader owns: the catalog shape (relations, columns, constraints,
-- indexes, enum labels, object identities) plus, per table, the row count and the number of
-- rows written after transaction `since_xid`. Tables in `no_scan` are fingerprinted by catalog
-- only, so that checking never reads them (they are the planted "never read" tables).
CREATE OR REPLACE FUNCTION pg_temp.fingerprint(schemas text[], since_xid bigint, no_scan text[])
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE r record; acc text; cnt bigint; newer bigint;
BEGIN
  SELECT string_agg(line, E'\n' ORDER BY line) INTO acc FROM (
    SELECT format('rel %I.%I %s %s %s %s', n.nspname, c.relname, c.relkind, c.oid, c.relfilenode,
                  pg_get_userbyid(c.relowner)) AS line
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(schemas) AND c.relkind IN ('r','p','v','m','S','f','i','I')
    UNION ALL
    SELECT format('col %I.%I %s %s %s %s', n.nspname, c.relname, a.attnum, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull)
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(schemas) AND c.relkind IN ('r','p','v','m','f') AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('con %I.%I %s %s', n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid))
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(schemas)
    UNION ALL
    SELECT format('idx %s', pg_get_indexdef(i.indexrelid))
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(schemas)
    UNION ALL
    SELECT format('enum %I.%I %s %s', n.nspname, t.typname, e.enumsortorder, e.enumlabel)
    FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = ANY(schemas)
    UNION ALL
    SELECT format('proc %s %s', p.oid, p.oid::regprocedure)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(schemas)
  ) s;
  FOR r IN
    SELECT format('%I.%I', n.nspname, c.relname) AS t
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY(schemas) AND c.relkind IN ('r','m') AND c.relispopulated
      AND NOT (format('%I.%I', n.nspname, c.relname) = ANY(no_scan))
    ORDER BY 1
  LOOP
    EXECUTE format('SELECT count(*), count(*) FILTER (WHERE xmin::text::bigint > %s) FROM %s',
                   since_xid % 4294967296, r.t) INTO cnt, newer;
    acc := acc || format(E'\nrows %s %s %s', r.t, cnt, newer);
  END LOOP;
  RETURN md5(coalesce(acc, ''));
END $$;

-- Read every live table once (a sequential scan, plus an index probe through its primary
-- key, else a unique, else any btree index), so pg_stat_user_tables shows them as in use. Tables in
-- `skip` (the planted stale ones) are not touched.
CREATE OR REPLACE FUNCTION pg_temp.touch_live(schemas text[], skip text[]) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE r record; n int := 0; dummy bigint;
BEGIN
  FOR r IN
    SELECT c.oid, format('%I.%I', ns.nspname, c.relname) AS t,
           (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            WHERE i.indrelid = c.oid AND i.indkey[0] <> 0 AND i.indpred IS NULL
              AND (SELECT amname FROM pg_am WHERE oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)) = 'btree'
            ORDER BY i.indisprimary DESC, i.indisunique DESC, i.indexrelid LIMIT 1) AS keycol
    FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
    WHERE ns.nspname = ANY(schemas) AND c.relkind IN ('r','m') AND c.relispopulated
      AND NOT (format('%I.%I', ns.nspname, c.relname) = ANY(skip))
    ORDER BY 2
  LOOP
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 100) s', r.t) INTO dummy;
    IF r.keycol IS NOT NULL THEN
      PERFORM set_config('enable_seqscan', 'off', true);
      PERFORM set_config('enable_bitmapscan', 'off', true);
      EXECUTE format('SELECT count(*) FROM (SELECT %1$I FROM %2$s ORDER BY %1$I LIMIT 10) s', r.keycol, r.t) INTO dummy;
      PERFORM set_config('enable_seqscan', 'on', true);
      PERFORM set_config('enable_bitmapscan', 'on', true);
    END IF;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
