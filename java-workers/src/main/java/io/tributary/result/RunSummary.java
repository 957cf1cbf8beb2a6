package io.tributary.result;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The table every command prints on stderr at the end (step, rows, seconds, rows/s), so a run can be
 * read at a glance and pasted into an issue.
 */
public final class RunSummary {
    private final String command;
    private final long startedNanos = System.nanoTime();
    private final List<Row> rows = new ArrayList<>();
    private Long totalRows;

    private record Row(String step, Long rows, double seconds) {
    }

    public RunSummary(String command) {
        this.command = command;
    }

    /** Starts timing a step; close it (try-with-resources) to record it. */
    public Step begin(String step) {
        return new Step(step);
    }

    public synchronized void record(String step, Long rowCount, double seconds) {
        rows.add(new Row(step, rowCount, seconds));
    }

    /** The rows the job as a whole moved or checked, for the total line. */
    public synchronized void totalRows(long n) {
        totalRows = n;
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    public synchronized String render(String outcome) {
        TextTable table = new TextTable("step", ">rows", ">seconds", ">rows/s");
        for (Row r : rows) {
            table.add(line(r.step, r.rows, r.seconds));
        }
        table.add(line("total (" + outcome + ")", totalRows, elapsedSeconds()));
        return command + " summary\n" + table.render("  ");
    }

    private static String[] line(String step, Long rowCount, double seconds) {
        String rate = rowCount == null || seconds <= 0 ? "" : count((long) (rowCount / seconds));
        return new String[] {
            step, rowCount == null ? "" : count(rowCount), String.format(Locale.ROOT, "%.3f", seconds), rate
        };
    }

    /** 1234567 → "1,234,567": thousands separators make row counts readable in logs. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    public final class Step implements AutoCloseable {
        private final String name;
        private final long started = System.nanoTime();
        private Long rowCount;

        private Step(String name) {
            this.name = name;
        }

        public Step rows(long n) {
            this.rowCount = n;
            return this;
        }

        @Override
        public void close() {
            record(name, rowCount, (System.nanoTime() - started) / 1e9);
        }
    }
}
