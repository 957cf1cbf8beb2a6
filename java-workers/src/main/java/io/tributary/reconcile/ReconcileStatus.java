package io.tributary.reconcile;

import io.tributary.ledger.ControlSchema;
import io.tributary.result.TextTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The last reconciliation pass of each followed table for {@code tributary status}. The passes are run by the
 * {@code tributary_reconcile} DAG (dags/tributary/reconcile.py) while a follow is active and recorded in
 * {@code reconcile_passes}; a mismatch counts there only once confirmed past the follower's lag.
 */
public final class ReconcileStatus {
    private ReconcileStatus() {
    }

    public record Row(String source, String table, String targetTable, String mode, long rowsCompared, long confirmed,
            long unsettled, double mismatchRate, String finishedAt) {
    }

    /** Empty when no pass was ever recorded (or the control schema predates reconciliation: status never migrates). */
    public static List<Row> read(Connection control, ControlSchema schema) throws SQLException {
        try (PreparedStatement ps = control.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, schema.table("reconcile_passes"));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return List.of();
                }
            }
        }
        List<Row> out = new ArrayList<>();
        try (PreparedStatement ps = control.prepareStatement("SELECT DISTINCT ON (source, source_table) source,"
                + " source_table, target_table, mode, rows_compared, confirmed, unsettled, mismatch_rate, finished_at"
                + " FROM " + schema.table("reconcile_passes") + " ORDER BY source, source_table, pass_id DESC");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                        rs.getLong(6), rs.getLong(7), rs.getDouble(8), rs.getTimestamp(9).toInstant().toString()));
            }
        }
        return out;
    }

    public static String render(List<Row> rows) {
        TextTable table = new TextTable("source", "table", "pass", "finished", ">rows compared", ">mismatches",
                ">unsettled", ">mismatch rate");
        for (Row r : rows) {
            table.add(r.source(), r.table(), r.mode(), r.finishedAt(), String.valueOf(r.rowsCompared()),
                    String.valueOf(r.confirmed()), String.valueOf(r.unsettled()),
                    String.format(Locale.ROOT, "%.6f", r.mismatchRate()));
        }
        return table.render("  ");
    }
}
