package io.tributary.cdc;

import io.tributary.ledger.ControlSchema;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/** The follower's rows in the control schema: the slots it created (start points) and what it applied. */
final class FollowLedger {
    static final String HOLDING = "holding";
    static final String RELEASED = "released";
    static final String DROPPED = "dropped";

    /** A slot this project created on a source, and where its stream begins. */
    record Slot(String source, String slotName, String publication, List<String> tables, long consistentLsn,
            String snapshotName, String state, String holder) {
    }

    /** The last source transaction applied to the target under one slot. */
    record Applied(long lsn, Instant commitTime, long transactions, long changes) {
    }

    private final ControlSchema schema;

    FollowLedger(ControlSchema schema) {
        this.schema = schema;
    }

    Optional<Slot> slot(Connection c, String source, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT publication, tables, consistent_lsn::text,"
                + " snapshot_name, state, holder FROM " + schema.table("follow_slots")
                + " WHERE source = ? AND slot_name = ?")) {
            ps.setString(1, source);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String[] tables = (String[]) rs.getArray(2).getArray();
                return Optional.of(new Slot(source, slot, rs.getString(1), Arrays.asList(tables),
                        LogSequenceNumber.valueOf(rs.getString(3)).asLong(), rs.getString(4), rs.getString(5),
                        rs.getString(6)));
            }
        }
    }

    /** Records a new start point (replacing a dropped slot's row of the same name). */
    void recordSlot(Connection c, Slot slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("follow_slots")
                + " (source, slot_name, publication, tables, consistent_lsn, snapshot_name, state, holder)"
                + " VALUES (?, ?, ?, ?, ?::pg_lsn, ?, ?, ?)"
                + " ON CONFLICT (source, slot_name) DO UPDATE SET publication = EXCLUDED.publication,"
                + " tables = EXCLUDED.tables, consistent_lsn = EXCLUDED.consistent_lsn,"
                + " snapshot_name = EXCLUDED.snapshot_name, state = EXCLUDED.state, holder = EXCLUDED.holder,"
                + " created_at = now(), released_at = NULL, dropped_at = NULL")) {
            Array tables = c.createArrayOf("text", slot.tables().toArray());
            ps.setString(1, slot.source());
            ps.setString(2, slot.slotName());
            ps.setString(3, slot.publication());
            ps.setArray(4, tables);
            ps.setString(5, LogSequenceNumber.valueOf(slot.consistentLsn()).asString());
            ps.setString(6, slot.snapshotName());
            ps.setString(7, slot.state());
            ps.setString(8, slot.holder());
            ps.executeUpdate();
        }
        // A new slot starts a new stream: progress of an earlier slot of the same name no longer applies.
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema.table("follow_progress")
                + " WHERE source = ? AND slot_name = ?")) {
            ps.setString(1, slot.source());
            ps.setString(2, slot.slotName());
            ps.executeUpdate();
        }
    }

    /** Moves a slot to {@code state}; true if it was in {@code from}. */
    boolean transition(Connection c, String source, String slot, String from, String state) throws SQLException {
        String stamp = RELEASED.equals(state) ? ", released_at = now(), snapshot_name = NULL"
                : DROPPED.equals(state) ? ", dropped_at = now(), snapshot_name = NULL" : "";
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + schema.table("follow_slots")
                + " SET state = ?" + stamp + " WHERE source = ? AND slot_name = ? AND state = ?")) {
            ps.setString(1, state);
            ps.setString(2, source);
            ps.setString(3, slot);
            ps.setString(4, from);
            return ps.executeUpdate() == 1;
        }
    }

    Optional<Applied> applied(Connection c, String source, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT applied_lsn::text, applied_commit_at, transactions,"
                + " changes FROM " + schema.table("follow_progress") + " WHERE source = ? AND slot_name = ?")) {
            ps.setString(1, source);
            ps.setString(2, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Timestamp at = rs.getTimestamp(2);
                return Optional.of(new Applied(LogSequenceNumber.valueOf(rs.getString(1)).asLong(),
                        at == null ? null : at.toInstant(), rs.getLong(3), rs.getLong(4)));
            }
        }
    }

    /** Called inside the target transaction that applied the changes: both commit, or neither. */
    void recordApplied(Connection target, String source, String slot, long lsn, Instant commitTime,
            long transactions, long changes) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + schema.table("follow_progress")
                + " AS p (source, slot_name, applied_lsn, applied_commit_at, transactions, changes)"
                + " VALUES (?, ?, ?::pg_lsn, ?, ?, ?)"
                + " ON CONFLICT (source, slot_name) DO UPDATE SET applied_lsn = EXCLUDED.applied_lsn,"
                + " applied_commit_at = EXCLUDED.applied_commit_at,"
                + " transactions = p.transactions + EXCLUDED.transactions, changes = p.changes + EXCLUDED.changes,"
                + " updated_at = now()")) {
            ps.setString(1, source);
            ps.setString(2, slot);
            ps.setString(3, LogSequenceNumber.valueOf(lsn).asString());
            ps.setTimestamp(4, commitTime == null ? null : Timestamp.from(commitTime));
            ps.setLong(5, transactions);
            ps.setLong(6, changes);
            ps.executeUpdate();
        }
    }
}
