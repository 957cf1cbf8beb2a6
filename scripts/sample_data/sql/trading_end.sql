-- Trading instance, step 3 of 3: hand everything to the owner role, write the marker
-- (fingerprint of what was loaded) in one transaction, then the statistics steps.
-- psql variables: owner, kind, scale, gen, schemas, stale.
\set ON_ERROR_STOP 1
\o /dev/null
\ir lib.sql
BEGIN;
SELECT pg_temp.hand_over(:'owner', string_to_array(:'schemas', ','));
\ir marker.sql
COMMIT;
\ir post.sql
