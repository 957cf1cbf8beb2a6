package io.tributary.ledger;

import io.tributary.ledger.TableLedger.Entry;
import io.tributary.result.RunSummary;
import io.tributary.result.TextTable;
import java.util.List;
import java.util.Locale;

/** {@code tributary status}: the ledger's per-table progress as an aligned table and as JSON rows. */
public final class StatusReport {
    private StatusReport() {
    }

    /** One table's status, as the JSON result lists it. */
    public record Row(
            String source,
            String table,
            String target,
            String targetTable,
            String status,
            Long rows,
            String sourceChecksum,
            String targetChecksum,
            boolean verified,
            Double seconds,
            Long rowsPerSecond,
            Long bytes,
            int attempts,
            String runId,
            String startedAt,
            String finishedAt,
            String error,
            Integer chunks,
            Integer chunksDone,
            String chunkKey,
            Long progressRows,
            Long expectedRows,
            Double etaSeconds) {
    }

    public static List<Row> rows(List<Entry> entries) {
        return entries.stream().map(StatusReport::row).toList();
    }

    private static Row row(Entry e) {
        TableLedger.Progress p = e.progress();
        Double seconds = e.seconds();
        Long rate = seconds != null && seconds > 0 && e.rows() != null ? Math.round(e.rows() / seconds) : null;
        return new Row(e.key().source(), e.key().sourceTable(), e.key().target(), e.key().targetTable(), e.status(),
                e.rows(), e.sourceChecksum(), e.targetChecksum(), e.verified(),
                seconds == null ? null : Math.round(seconds * 1000) / 1000.0, rate, e.bytes(), e.attempts(), e.runId(),
                e.startedAt() == null ? null : e.startedAt().toString(),
                e.finishedAt() == null ? null : e.finishedAt().toString(), e.error(),
                p == null ? null : p.chunksTotal(), p == null ? null : p.chunksDone(), p == null ? null : p.chunkKey(),
                p == null ? null : p.rows(), p == null ? null : p.expectedRows(), p == null ? null : p.etaSeconds());
    }

    /** While a copy runs: rows so far of expected, chunks done, ETA. */
    static String progress(Row r) {
        if (r.chunks() == null) {
            return "";
        }
        String chunks = r.chunksDone() + "/" + r.chunks() + " chunks";
        if ("copied".equals(r.status()) || r.progressRows() == null) {
            return chunks;
        }
        String percent = r.expectedRows() != null && r.expectedRows() > 0
                ? String.format(Locale.ROOT, " (%.0f%%)", 100.0 * r.progressRows() / r.expectedRows()) : "";
        String eta = r.etaSeconds() == null || !"copying".equals(r.status()) ? ""
                : ", ETA " + duration(r.etaSeconds());
        return RunSummary.count(r.progressRows()) + " rows" + percent + ", " + chunks + eta;
    }

    /** 2.8 s, 4m 05s, 2h 07m: how long a copy took, readable at a glance. */
    static String duration(double seconds) {
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, (s % 3600) / 60);
    }

    public static String render(List<Row> rows) {
        TextTable table = new TextTable("source", "table", "target", "target table", "status", ">rows",
                "source checksum", "target checksum", "verified", ">duration", ">rows/s", ">attempts", "progress");
        for (Row r : rows) {
            table.add(r.source(), r.table(), r.target(), r.targetTable(), r.status(),
                    r.rows() == null ? "" : RunSummary.count(r.rows()),
                    r.sourceChecksum(), r.targetChecksum(),
                    "copied".equals(r.status()) ? (r.verified() ? "yes" : "NO") : "-",
                    r.seconds() == null ? "" : duration(r.seconds()),
                    r.rowsPerSecond() == null ? "" : RunSummary.count(r.rowsPerSecond()),
                    String.valueOf(r.attempts()), progress(r));
        }
        return table.render("  ");
    }
}
