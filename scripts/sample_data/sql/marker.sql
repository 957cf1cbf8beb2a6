-- Write the loader's marker into the database comment (inside the caller's transaction):
--   tributary-sample-data kind=K scale=S gen=G xid=X fp=F
-- X is this transaction's id: every loaded row is older, anything written later is newer.
SELECT txid_current() AS load_xid \gset
SELECT pg_temp.fingerprint(string_to_array(:'schemas', ','), :load_xid, string_to_array(:'stale', ',')) AS fp \gset
SELECT format('COMMENT ON DATABASE %I IS %L', current_database(),
              format('tributary-sample-data kind=%s scale=%s gen=%s xid=%s fp=%s',
                     :'kind', :'scale', :'gen', :load_xid, :'fp')) \gexec
