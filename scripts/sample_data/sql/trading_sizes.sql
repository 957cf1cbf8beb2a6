-- Table sizes for one trading instance, as psql variables (included by trading_part.sql).
-- Every size is greatest(1, round(base * scale)) -- agent_status: greatest(6, ...), one agent
-- of each kind. The EU and US user counts are needed on both sides (they decide which
-- customers are shared). scripts/sample_data/expected.py mirrors these numbers.
SELECT greatest(1, round(5000   * :'scale'::numeric))::bigint AS n_users_eu,
       greatest(1, round(4000   * :'scale'::numeric))::bigint AS n_users_us,
       greatest(1, round(200000 * :'scale'::numeric))::bigint AS n_ticks,
       greatest(1, round(20000  * :'scale'::numeric))::bigint AS n_books,
       greatest(1, round(30000  * :'scale'::numeric))::bigint AS n_vendor
\gset
\if :is_us
SELECT :n_users_us AS n_users,
       greatest(1, round(30    * :'scale'::numeric))::bigint AS n_strat,
       greatest(1, round(45000 * :'scale'::numeric))::bigint AS n_trades,
       greatest(1, round(8000  * :'scale'::numeric))::bigint AS n_dec,
       greatest(1, round(1600  * :'scale'::numeric))::bigint AS n_cal,
       greatest(6, round(18    * :'scale'::numeric))::bigint AS n_agents,
       greatest(1, round(20000 * :'scale'::numeric))::bigint AS n_fills,
       greatest(1, round(2500  * :'scale'::numeric))::bigint AS n_tmp_import,
       greatest(1, round(400   * :'scale'::numeric))::bigint AS n_promo,
       greatest(1, round(800   * :'scale'::numeric))::bigint AS n_fix,
       0 AS n_kyc
\gset
\else
SELECT :n_users_eu AS n_users,
       greatest(1, round(40    * :'scale'::numeric))::bigint AS n_strat,
       greatest(1, round(50000 * :'scale'::numeric))::bigint AS n_trades,
       greatest(1, round(10000 * :'scale'::numeric))::bigint AS n_dec,
       greatest(1, round(2000  * :'scale'::numeric))::bigint AS n_cal,
       greatest(6, round(24    * :'scale'::numeric))::bigint AS n_agents,
       greatest(1, round(50000 * :'scale'::numeric))::bigint AS n_fills,
       greatest(1, round(3000  * :'scale'::numeric))::bigint AS n_tmp_import,
       greatest(1, round(600   * :'scale'::numeric))::bigint AS n_promo,
       greatest(1, round(1500  * :'scale'::numeric))::bigint AS n_kyc,
       0 AS n_fix
\gset
\endif
