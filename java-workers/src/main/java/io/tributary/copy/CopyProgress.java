package io.tributary.copy;

import io.tributary.result.RunSummary;
import java.util.Locale;
import java.util.logging.Logger;

/** A progress line on stderr every few seconds while a copy streams: rows, rows/s, MB, elapsed. */
final class CopyProgress {
    private static final Logger LOG = Logger.getLogger(CopyProgress.class.getName());

    private final String label;
    private final long expectedRows;
    private final long intervalNanos;
    private final long started = System.nanoTime();
    private long nextReport;

    CopyProgress(String label, long expectedRows, double intervalSeconds) {
        this.label = label;
        this.expectedRows = expectedRows;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
        this.nextReport = started + intervalNanos;
    }

    void update(long rows, long bytes) {
        long now = System.nanoTime();
        if (now < nextReport) {
            return;
        }
        nextReport = now + intervalNanos;
        double elapsed = (now - started) / 1e9;
        String percent = expectedRows > 0
                ? String.format(Locale.ROOT, " of %s (%.1f%%)", RunSummary.count(expectedRows), 100.0 * rows / expectedRows)
                : "";
        LOG.info(String.format(Locale.ROOT, "%s: %s rows%s, %s rows/s, %.1f MB, %.1f s",
                label, RunSummary.count(rows), percent, RunSummary.count((long) (rows / elapsed)),
                bytes / 1e6, elapsed));
    }
}
