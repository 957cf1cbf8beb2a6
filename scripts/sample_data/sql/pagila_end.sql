-- Pagila, part 3 of 3: refresh the materialized view (the dump creates it WITH NO DATA),
-- hand everything to the owner role, write the marker, commit, VACUUM (ANALYZE), then the
-- statistics steps.
SELECT pg_catalog.set_config('search_path', 'public', false);
REFRESH MATERIALIZED VIEW public.rental_by_category;
SELECT pg_temp.hand_over(:'owner', string_to_array(:'schemas', ','));

\ir marker.sql
COMMIT;

\echo '  vacuum/analyze and usage statistics'
SELECT format('VACUUM (ANALYZE) %s', string_agg(format('%I.%I', n.nspname, c.relname), ', '))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (string_to_array(:'schemas', ',')) AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
HAVING count(*) > 0 \gexec
\ir post.sql
