-- core: mark the schema as Tributary's own, so that discovery never inventories it as data to migrate (a
-- control schema can live on a source: the rollback's reverse follower keeps one there).
COMMENT ON SCHEMA {s} IS 'tributary control schema: migration bookkeeping, never migrated';
