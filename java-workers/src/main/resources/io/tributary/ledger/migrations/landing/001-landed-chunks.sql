-- landing: a chunk's rows commit as 'landed' (its source checksum known, its target checksum not yet); after the
-- last chunk, one grouped scan of the target computes every landed chunk's checksum from the rows its transaction
-- wrote (xmin = target_xid), and only a match makes the chunk 'copied' (= verified).
ALTER TABLE {s}.chunks DROP CONSTRAINT chunks_status_check;
ALTER TABLE {s}.chunks ADD CONSTRAINT chunks_status_check
    CHECK (status IN ('pending', 'copying', 'landed', 'copied', 'failed', 'mismatch'));
-- pg_current_xact_id() of the transaction that landed the chunk (full 64-bit; rows carry its low 32 bits as xmin)
ALTER TABLE {s}.chunks ADD COLUMN target_xid bigint;
