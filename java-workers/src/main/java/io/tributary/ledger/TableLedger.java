package io.tributary.ledger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Per-table progress ({@code table_status}): one row per (source, source table → target, target table),
 * updated as a copy starts, lands or fails. Rows here are what "already copied" and "rows accounted for"
 * mean.
 */
public final class TableLedger {
    public static final String COPYING = "copying";
    public static final String COPIED = "copied";
    /** A chunk whose rows committed in the target but whose target checksum is not computed yet. */
    public static final String LANDED = "landed";
    public static final String FAILED = "failed";
    public static final String MISMATCH = "mismatch";

    private final ControlSchema schema;

    public TableLedger(ControlSchema schema) {
        this.schema = schema;
    }

    /** Identifies one table movement. Table names are rendered schema.table. */
    public record Key(String source, String sourceTable, String target, String targetTable) {
    }

    public record Entry(
            long tableId,
            Key key,
            String status,
            Long rows,
            String sourceChecksum,
            String targetChecksum,
            Long bytes,
            int attempts,
            OffsetDateTime startedAt,
            OffsetDateTime finishedAt,
            String runId,
            String error,
            OffsetDateTime updatedAt,
            Progress progress,
            String selectionFingerprint) {

        /** Copied and both databases computed the same checksum. */
        public boolean verified() {
            return COPIED.equals(status) && sourceChecksum != null && sourceChecksum.equals(targetChecksum);
        }

        public Double seconds() {
            if (startedAt == null || finishedAt == null) {
                return null;
            }
            return java.time.Duration.between(startedAt, finishedAt).toNanos() / 1e9;
        }
    }

    /** What a finished copy stores. */
    public record Outcome(long rows, String sourceChecksum, String targetChecksum, long bytes,
            OffsetDateTime startedAt) {
    }

    private static final String COLUMNS = "table_id, source, source_table, target, target_table, status, rows,"
            + " source_checksum, target_checksum, bytes, attempts, started_at, finished_at, run_id, error, updated_at,"
            + " chunk_key, parallelism, chunks_total, chunks_done, expected_rows, progress_rows, rows_per_second,"
            + " eta_seconds, selection_fingerprint";

    public Optional<Entry> find(Connection connection, Key key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + COLUMNS + " FROM "
                + schema.table("table_status")
                + " WHERE source = ? AND source_table = ? AND target = ? AND target_table = ?")) {
            bindKey(ps, 1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(entry(rs)) : Optional.empty();
            }
        }
    }

    /** Rows the ledger says were copied into a target table, from every source (many-to-one consolidation). */
    public long copiedRowsInto(Connection connection, String target, String targetTable) throws SQLException {
        // Chunks commit one by one, so a half-copied table accounts for the rows of its committed chunks
        // (verified or only landed: both are in the target).
        try (PreparedStatement ps = connection.prepareStatement("SELECT coalesce(sum(c.rows), 0) FROM "
                + schema.table("chunks") + " c JOIN " + schema.table("table_status") + " t USING (table_id)"
                + " WHERE t.target = ? AND t.target_table = ? AND c.status IN ('copied', 'landed')")) {
            ps.setString(1, target);
            ps.setString(2, targetTable);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Marks a copy as started (status copying, one more attempt) with the fingerprint of what it selects from the
     * source; returns the table id.
     */
    public long begin(Connection connection, Key key, String runId, String selectionFingerprint) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("table_status")
                + " AS t (source, source_table, target, target_table, status, attempts, started_at, run_id,"
                + " selection_fingerprint)"
                + " VALUES (?, ?, ?, ?, 'copying', 1, clock_timestamp(), ?, ?)"
                + " ON CONFLICT (source, source_table, target, target_table) DO UPDATE SET"
                + " status = 'copying', attempts = t.attempts + 1, started_at = clock_timestamp(), finished_at = NULL,"
                + " rows = NULL, source_checksum = NULL, target_checksum = NULL, bytes = NULL, error = NULL,"
                + " run_id = excluded.run_id, selection_fingerprint = excluded.selection_fingerprint,"
                + " updated_at = clock_timestamp()"
                + " RETURNING table_id")) {
            bindKey(ps, 1, key);
            ps.setString(5, runId);
            ps.setString(6, selectionFingerprint);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Marks a copy as landed and verified; returns the table id. */
    public long finish(Connection connection, Key key, String runId, Outcome outcome) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("table_status")
                + " AS t (source, source_table, target, target_table, status, rows, source_checksum,"
                + " target_checksum, bytes, attempts, started_at, finished_at, run_id)"
                + " VALUES (?, ?, ?, ?, 'copied', ?, ?, ?, ?, 1, ?, clock_timestamp(), ?)"
                + " ON CONFLICT (source, source_table, target, target_table) DO UPDATE SET"
                + " status = 'copied', rows = excluded.rows, source_checksum = excluded.source_checksum,"
                + " target_checksum = excluded.target_checksum, bytes = excluded.bytes,"
                + " started_at = excluded.started_at, finished_at = clock_timestamp(), error = NULL,"
                + " run_id = excluded.run_id, updated_at = clock_timestamp()"
                + " RETURNING table_id")) {
            bindKey(ps, 1, key);
            ps.setLong(5, outcome.rows());
            ps.setString(6, outcome.sourceChecksum());
            ps.setString(7, outcome.targetChecksum());
            ps.setLong(8, outcome.bytes());
            ps.setObject(9, outcome.startedAt());
            ps.setString(10, runId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Marks a copy as failed ({@link #FAILED}) or as landed-but-different ({@link #MISMATCH}). */
    public void fail(Connection connection, Key key, String runId, String status, String error, Long rows,
            String sourceChecksum, String targetChecksum) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + schema.table("table_status")
                + " AS t (source, source_table, target, target_table, status, error, rows, source_checksum,"
                + " target_checksum, attempts, started_at, finished_at, run_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, clock_timestamp(), clock_timestamp(), ?)"
                + " ON CONFLICT (source, source_table, target, target_table) DO UPDATE SET"
                + " status = excluded.status, error = excluded.error, rows = excluded.rows,"
                + " source_checksum = excluded.source_checksum, target_checksum = excluded.target_checksum,"
                + " finished_at = clock_timestamp(), run_id = excluded.run_id, updated_at = clock_timestamp()")) {
            bindKey(ps, 1, key);
            ps.setString(5, status);
            ps.setString(6, error);
            if (rows == null) {
                ps.setNull(7, Types.BIGINT);
            } else {
                ps.setLong(7, rows);
            }
            ps.setString(8, sourceChecksum);
            ps.setString(9, targetChecksum);
            ps.setString(10, runId);
            ps.execute();
        }
    }

    /** Live progress of a copy in flight (own autocommit connection; best effort). */
    public void progress(Connection connection, long tableId, Progress p) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE " + schema.table("table_status")
                + " SET chunk_key = ?, parallelism = ?, chunks_total = ?, chunks_done = ?, expected_rows = ?,"
                + " progress_rows = ?, rows_per_second = ?, eta_seconds = ?, progress_at = clock_timestamp()"
                + " WHERE table_id = ?")) {
            ps.setString(1, p.chunkKey());
            ps.setInt(2, p.parallelism());
            ps.setInt(3, p.chunksTotal());
            ps.setInt(4, p.chunksDone());
            ps.setLong(5, p.expectedRows());
            ps.setLong(6, p.rows());
            ps.setLong(7, p.rowsPerSecond());
            if (p.etaSeconds() == null) {
                ps.setNull(8, Types.DOUBLE);
            } else {
                ps.setDouble(8, p.etaSeconds());
            }
            ps.setLong(9, tableId);
            ps.execute();
        }
    }

    /** What {@link #progress} stores. */
    public record Progress(String chunkKey, int parallelism, int chunksTotal, int chunksDone, long expectedRows,
            long rows, long rowsPerSecond, Double etaSeconds) {
    }

    /** All entries, or those last touched by one run, in a stable order. */
    public List<Entry> list(Connection connection, String runId) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM " + schema.table("table_status")
                + (runId == null ? "" : " WHERE run_id = ?")
                + " ORDER BY source, source_table, target, target_table";
        List<Entry> entries = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            if (runId != null) {
                ps.setString(1, runId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(entry(rs));
                }
            }
        }
        return entries;
    }

    private static void bindKey(PreparedStatement ps, int first, Key key) throws SQLException {
        ps.setString(first, key.source());
        ps.setString(first + 1, key.sourceTable());
        ps.setString(first + 2, key.target());
        ps.setString(first + 3, key.targetTable());
    }

    private static Entry entry(ResultSet rs) throws SQLException {
        return new Entry(
                rs.getLong("table_id"),
                new Key(rs.getString("source"), rs.getString("source_table"), rs.getString("target"),
                        rs.getString("target_table")),
                rs.getString("status"),
                (Long) rs.getObject("rows"),
                rs.getString("source_checksum"),
                rs.getString("target_checksum"),
                (Long) rs.getObject("bytes"),
                rs.getInt("attempts"),
                rs.getObject("started_at", OffsetDateTime.class),
                rs.getObject("finished_at", OffsetDateTime.class),
                rs.getString("run_id"),
                rs.getString("error"),
                rs.getObject("updated_at", OffsetDateTime.class),
                rs.getObject("chunks_total") == null ? null : new Progress(rs.getString("chunk_key"),
                        rs.getInt("parallelism"), rs.getInt("chunks_total"), rs.getInt("chunks_done"),
                        rs.getLong("expected_rows"), rs.getLong("progress_rows"), rs.getLong("rows_per_second"),
                        (Double) rs.getObject("eta_seconds")),
                rs.getString("selection_fingerprint"));
    }
}
