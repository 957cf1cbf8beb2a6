package io.tributary.cdc;

import io.tributary.connect.ConnectionFactory;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import io.tributary.result.TextTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

/**
 * The follows' lag for {@code tributary status}, per source and slot: the position applied (follow_progress, in the
 * target) against the source's current WAL position, read live when the source's connection is in this
 * process's environment ({@code lag_from: source}); otherwise only what the target knows ({@code lag_from:
 * unreachable}, the applied position and commit time; the live lag in seconds is what the follower pushes to the
 * Pushgateway while it runs).
 */
public final class FollowStatus {
    private FollowStatus() {
    }

    public record Row(String source, String slot, String state, String appliedLsn, String appliedCommitAt,
            long transactions, long changes, String updatedAt, Long lagBytes, String lagFrom) {
    }

    public static List<Row> read(Connection control, ControlSchema schema, ConnectionFactory connections)
            throws SQLException {
        if (!schema.exists(control)) {
            return List.of();
        }
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = control.prepareStatement("SELECT p.source, p.slot_name, s.state,"
                + " p.applied_lsn::text, p.applied_commit_at, p.transactions, p.changes, p.updated_at"
                + " FROM " + schema.table("follow_progress") + " p LEFT JOIN " + schema.table("follow_slots") + " s"
                + " USING (source, slot_name) ORDER BY p.source, p.slot_name");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String source = rs.getString(1);
                String applied = rs.getString(4);
                Long lag = null;
                String from;
                try (Connection c = connections.open(source);
                        PreparedStatement q = c.prepareStatement("SELECT pg_catalog.pg_wal_lsn_diff("
                                + "pg_catalog.pg_current_wal_lsn(), CAST(? AS pg_lsn))::int8")) {
                    q.setString(1, applied);
                    try (ResultSet l = q.executeQuery()) {
                        l.next();
                        lag = Math.max(0, l.getLong(1));
                    }
                    from = "source";
                } catch (JobFailure | SQLException e) {
                    from = "unreachable";
                }
                out.add(new Row(source, rs.getString(2), rs.getString(3), applied, text(rs.getTimestamp(5)),
                        rs.getLong(6), rs.getLong(7), text(rs.getTimestamp(8)), lag, from));
            }
        }
        return out;
    }

    public static String render(List<Row> rows) {
        TextTable table = new TextTable("source", "slot", "state", "applied lsn", "applied commit", ">transactions",
                ">changes", ">lag bytes", "lag from");
        for (Row r : rows) {
            table.add(r.source(), r.slot(), r.state() == null ? "" : r.state(), r.appliedLsn(),
                    r.appliedCommitAt() == null ? "" : r.appliedCommitAt(), String.valueOf(r.transactions()),
                    String.valueOf(r.changes()), r.lagBytes() == null ? "?" : String.valueOf(r.lagBytes()), r.lagFrom());
        }
        return table.render("  ");
    }

    private static String text(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
