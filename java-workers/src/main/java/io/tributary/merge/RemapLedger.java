package io.tributary.merge;

import io.tributary.catalog.TableRef;
import io.tributary.ledger.ControlSchema;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The merge's tables in the control schema: key_offsets, key_map and conflict_queue. */
public final class RemapLedger {
    private final ControlSchema schema;

    public RemapLedger(ControlSchema schema) {
        this.schema = schema;
    }

    /** One row of key_offsets: how one source table lands in one target table. */
    public record Offset(String target, TableRef targetTable, String source, TableRef sourceTable, String keyColumn,
            long offset, Long stride, String originColumn, List<String> sources) {
    }

    /** One settled duplicate: the losing row, and what it was folded into. */
    public record Conflict(String target, TableRef targetTable, List<String> naturalKey, String keyValue,
            String strategy, String winnerSource, String winnerKey, String winnerRow, String loserSource,
            String loserKey, String loserRow, String status, String reason) {
    }

    public List<Offset> offsets(Connection c, String target) throws SQLException {
        List<Offset> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT target, target_table, source, source_table, key_column,"
                + " key_offset, stride, origin_column, sources FROM " + schema.table("key_offsets")
                + " WHERE target = ? ORDER BY target_table, source")) {
            ps.setString(1, target);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Array sources = rs.getArray(9);
                    long stride = rs.getLong(7);
                    out.add(new Offset(rs.getString(1), TableRef.parse(rs.getString(2), "key_offsets.target_table"),
                            rs.getString(3), TableRef.parse(rs.getString(4), "key_offsets.source_table"),
                            rs.getString(5), rs.getLong(6), rs.wasNull() ? null : stride, rs.getString(8),
                            Arrays.asList((String[]) sources.getArray())));
                }
            }
        }
        return out;
    }

    public Optional<Offset> offset(Connection c, String target, String source, TableRef sourceTable)
            throws SQLException {
        return offsets(c, target).stream()
                .filter(o -> o.source().equals(source) && o.sourceTable().equals(sourceTable))
                .findFirst();
    }

    /** Records a decision; an existing row for the same target table and source is kept (decisions are stable). */
    public boolean record(Connection c, Offset o, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("key_offsets")
                + " (target, target_table, source, source_table, key_column, key_offset, stride, origin_column,"
                + " sources, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, o.target());
            ps.setString(2, o.targetTable().toString());
            ps.setString(3, o.source());
            ps.setString(4, o.sourceTable().toString());
            ps.setString(5, o.keyColumn());
            ps.setLong(6, o.offset());
            if (o.stride() == null) {
                ps.setNull(7, java.sql.Types.BIGINT);
            } else {
                ps.setLong(7, o.stride());
            }
            ps.setString(8, o.originColumn());
            ps.setArray(9, c.createArrayOf("text", o.sources().toArray()));
            ps.setString(10, runId);
            return ps.executeUpdate() == 1;
        }
    }

    /** old key (source's own text) → new key (target's text) for one source of one target table. */
    public Map<String, String> keyMap(Connection c, String target, TableRef targetTable, String source)
            throws SQLException {
        // Sorted: the map is inlined into the copy's SELECT, whose fingerprint must not depend on row order.
        Map<String, String> out = new java.util.TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT old_key, new_key FROM " + schema.table("key_map")
                + " WHERE target = ? AND target_table = ? AND source = ?")) {
            ps.setString(1, target);
            ps.setString(2, targetTable.toString());
            ps.setString(3, source);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    public long keyMapRows(Connection c, String target, TableRef targetTable) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + schema.table("key_map")
                + " WHERE target = ? AND target_table = ?")) {
            ps.setString(1, target);
            ps.setString(2, targetTable.toString());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The source's own keys (text) of rows that do not land: losers of a duplicate natural key. */
    public Set<String> excluded(Connection c, String target, TableRef targetTable, String source) throws SQLException {
        Set<String> out = new java.util.TreeSet<>(); // sorted, like keyMap
        try (PreparedStatement ps = c.prepareStatement("SELECT loser_key FROM " + schema.table("conflict_queue")
                + " WHERE target = ? AND target_table = ? AND loser_source = ?")) {
            ps.setString(1, target);
            ps.setString(2, targetTable.toString());
            ps.setString(3, source);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** Parks or records one settled duplicate (and its key_map line); a re-run leaves earlier decisions alone. */
    public boolean record(Connection c, Conflict k, String runId, boolean mapKey) throws SQLException {
        int inserted;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("conflict_queue")
                + " (target, target_table, natural_key, key_value, strategy, winner_source, winner_key, winner_row,"
                + " loser_source, loser_key, loser_row, status, reason, run_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?::jsonb, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, k.target());
            ps.setString(2, k.targetTable().toString());
            ps.setArray(3, c.createArrayOf("text", k.naturalKey().toArray()));
            ps.setString(4, k.keyValue());
            ps.setString(5, k.strategy());
            ps.setString(6, k.winnerSource());
            ps.setString(7, k.winnerKey());
            ps.setString(8, k.winnerRow());
            ps.setString(9, k.loserSource());
            ps.setString(10, k.loserKey());
            ps.setString(11, k.loserRow());
            ps.setString(12, k.status());
            ps.setString(13, k.reason());
            ps.setString(14, runId);
            inserted = ps.executeUpdate();
        }
        if (inserted == 1 && mapKey && k.winnerKey() != null) {
            mapKey(c, k.target(), k.targetTable(), k.loserSource(), k.loserKey(), k.winnerKey(), "duplicate "
                    + String.join(", ", k.naturalKey()) + " " + k.keyValue() + ": " + k.strategy() + " kept "
                    + k.winnerSource(), runId);
        }
        return inserted == 1;
    }

    /** One key_map line: the source's own key {@code oldKey} lands as {@code newKey}; an existing line is kept. */
    public void mapKey(Connection c, String target, TableRef targetTable, String source, String oldKey, String newKey,
            String reason, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("key_map")
                + " (target, target_table, source, old_key, new_key, reason, run_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, target);
            ps.setString(2, targetTable.toString());
            ps.setString(3, source);
            ps.setString(4, oldKey);
            ps.setString(5, newKey);
            ps.setString(6, reason);
            ps.setString(7, runId);
            ps.executeUpdate();
        }
    }

    /** Counts by status for one target table (or all when null). */
    public Map<String, Long> conflictCounts(Connection c, String target, TableRef targetTable) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        String sql = "SELECT status, count(*) FROM " + schema.table("conflict_queue") + " WHERE target = ?"
                + (targetTable == null ? "" : " AND target_table = ?") + " GROUP BY status";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, target);
            if (targetTable != null) {
                ps.setString(2, targetTable.toString());
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }
}
