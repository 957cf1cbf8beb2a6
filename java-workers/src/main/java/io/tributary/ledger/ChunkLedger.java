package io.tributary.ledger;

import io.tributary.catalog.KeyRange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;

/**
 * The chunk ledger: per key range of a table, its status, rows, both checksums and attempts. A resumed
 * copy asks it which chunks are not done yet and reuses the same plan. A chunk's row becomes "landed" in the
 * same target transaction that lands its rows (when the ledger lives in the target), with that transaction's id;
 * "copied" means landed and verified: the target's checksum of exactly those rows matched the source's.
 */
public final class ChunkLedger {
    private final ControlSchema schema;

    public ChunkLedger(ControlSchema schema) {
        this.schema = schema;
    }

    /** One chunk's state; {@code range} null means the whole table. */
    public record Chunk(long tableId, int chunkNo, KeyRange range, String status, Long rows, String sourceChecksum,
            String targetChecksum, Long bytes, int attempts, Long targetXid) {
        public Chunk(long tableId, int chunkNo, KeyRange range, String status, Long rows, String sourceChecksum,
                String targetChecksum, Long bytes, int attempts) {
            this(tableId, chunkNo, range, status, rows, sourceChecksum, targetChecksum, bytes, attempts, null);
        }

        /** The same chunk in another state (the landing transaction's id is kept). */
        public Chunk with(String nextStatus, String nextTargetChecksum) {
            return new Chunk(tableId, chunkNo, range, nextStatus, rows, sourceChecksum, nextTargetChecksum, bytes,
                    attempts, targetXid);
        }
    }

    /** Records (insert or update) a chunk's state. */
    public void record(Connection connection, Chunk chunk, String runId, String error, boolean newAttempt)
            throws SQLException {
        KeyRange range = chunk.range();
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("chunks")
                + " AS c (table_id, chunk_no, key_column, key_lo, key_hi, status, rows, source_checksum,"
                + " target_checksum, bytes, attempts, started_at, finished_at, run_id, error, target_xid)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, clock_timestamp(),"
                + " CASE WHEN ? IN ('landed', 'copied', 'failed', 'mismatch') THEN clock_timestamp() END, ?, ?, ?)"
                + " ON CONFLICT (table_id, chunk_no) DO UPDATE SET"
                + " key_column = excluded.key_column, key_lo = excluded.key_lo, key_hi = excluded.key_hi,"
                + " status = excluded.status, rows = excluded.rows, source_checksum = excluded.source_checksum,"
                + " target_checksum = excluded.target_checksum, bytes = excluded.bytes,"
                + " attempts = c.attempts + CASE WHEN ? THEN 1 ELSE 0 END,"
                + " started_at = CASE WHEN ? THEN clock_timestamp() ELSE c.started_at END,"
                // verifying a landed chunk keeps when it landed (the copy's end); updated_at says when it was verified
                + " finished_at = CASE WHEN c.status = 'landed' AND excluded.status = 'copied' THEN c.finished_at"
                + " ELSE excluded.finished_at END, run_id = excluded.run_id, error = excluded.error,"
                + " target_xid = excluded.target_xid,"
                + " updated_at = clock_timestamp()")) {
            int i = 1;
            ps.setLong(i++, chunk.tableId());
            ps.setInt(i++, chunk.chunkNo());
            ps.setString(i++, range == null ? null : range.column());
            ps.setString(i++, range == null ? null : range.lo());
            ps.setString(i++, range == null ? null : range.hi());
            ps.setString(i++, chunk.status());
            setLong(ps, i++, chunk.rows());
            ps.setString(i++, chunk.sourceChecksum());
            ps.setString(i++, chunk.targetChecksum());
            setLong(ps, i++, chunk.bytes());
            ps.setString(i++, chunk.status());
            ps.setString(i++, runId);
            ps.setString(i++, error);
            setLong(ps, i++, chunk.targetXid());
            ps.setBoolean(i++, newAttempt);
            ps.setBoolean(i, newAttempt);
            ps.execute();
        }
    }

    /** Replaces the table's chunk plan by these ranges, all pending (a null range is the whole table). */
    public void plan(Connection connection, long tableId, List<KeyRange> ranges, String runId) throws SQLException {
        reset(connection, tableId);
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("chunks")
                + " (table_id, chunk_no, key_column, key_lo, key_hi, status, run_id) VALUES (?, ?, ?, ?, ?, 'pending', ?)")) {
            for (int i = 0; i < ranges.size(); i++) {
                KeyRange range = ranges.get(i);
                ps.setLong(1, tableId);
                ps.setInt(2, i);
                ps.setString(3, range == null ? null : range.column());
                ps.setString(4, range == null ? null : range.lo());
                ps.setString(5, range == null ? null : range.hi());
                ps.setString(6, runId);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Forgets the table's chunk plan (its target was truncated). */
    public void reset(Connection connection, long tableId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + schema.table("chunks")
                + " WHERE table_id = ?")) {
            ps.setLong(1, tableId);
            ps.execute();
        }
    }

    public List<Chunk> chunks(Connection connection, long tableId) throws SQLException {
        List<Chunk> chunks = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT table_id, chunk_no, key_column, key_lo,"
                + " key_hi, status, rows, source_checksum, target_checksum, bytes, attempts, target_xid FROM "
                + schema.table("chunks") + " WHERE table_id = ? ORDER BY chunk_no")) {
            ps.setLong(1, tableId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String column = rs.getString("key_column");
                    chunks.add(new Chunk(rs.getLong("table_id"), rs.getInt("chunk_no"),
                            column == null ? null : new KeyRange(column, rs.getString("key_lo"), rs.getString("key_hi")),
                            rs.getString("status"), (Long) rs.getObject("rows"), rs.getString("source_checksum"),
                            rs.getString("target_checksum"), (Long) rs.getObject("bytes"), rs.getInt("attempts"),
                            (Long) rs.getObject("target_xid")));
                }
            }
        }
        return chunks;
    }

    private static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }
}
