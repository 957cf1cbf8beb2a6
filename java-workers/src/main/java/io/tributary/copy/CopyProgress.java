package io.tributary.copy;

import io.tributary.metrics.LiveProgress;
import io.tributary.result.RunSummary;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * Progress of one table's copy across all its chunk workers: rows and bytes streamed so far (committed or
 * in flight), chunks done, rate and ETA. Workers add to it from their threads; one reporter reads it.
 */
final class CopyProgress {
    private static final Logger LOG = Logger.getLogger(CopyProgress.class.getName());

    private final String label;
    private final long expectedRows;
    private final int chunksTotal;
    private final long started = System.nanoTime();
    private final LongAdder rows = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final AtomicInteger chunksDone = new AtomicInteger();
    /** Rows already in the target when this attempt started (resumed chunks): not part of the rate. */
    private final long alreadyDone;

    CopyProgress(String label, long expectedRows, int chunksTotal, int chunksAlreadyDone, long rowsAlreadyDone) {
        this.label = label;
        this.expectedRows = expectedRows;
        this.chunksTotal = chunksTotal;
        this.alreadyDone = rowsAlreadyDone;
        this.chunksDone.set(chunksAlreadyDone);
        LiveProgress.planned(expectedRows, chunksTotal, chunksAlreadyDone, rowsAlreadyDone);
    }

    /** Called for every row message streamed. */
    void streamed(long rowCount, long byteCount) {
        rows.add(rowCount);
        bytes.add(byteCount);
        LiveProgress.streamed(rowCount, byteCount);
    }

    /** A chunk whose transaction rolled back: its rows are streamed again by the retry. */
    void discard(long rowCount, long byteCount) {
        rows.add(-rowCount);
        bytes.add(-byteCount);
        LiveProgress.streamed(-rowCount, -byteCount);
    }

    void chunkDone() {
        chunksDone.incrementAndGet();
        LiveProgress.chunkDone();
    }

    /** A consistent reading for the log and the ledger. */
    record Reading(long rows, long expectedRows, long bytes, int chunksDone, int chunksTotal, long rowsPerSecond,
            Double etaSeconds, double elapsedSeconds) {
    }

    Reading read() {
        double elapsed = (System.nanoTime() - started) / 1e9;
        long streamedNow = rows.sum();
        long done = alreadyDone + streamedNow;
        long rate = elapsed > 0 ? (long) (streamedNow / elapsed) : 0;
        Double eta = rate > 0 && expectedRows >= done ? (expectedRows - done) / (double) rate : null;
        return new Reading(done, expectedRows, bytes.sum(), chunksDone.get(), chunksTotal, rate, eta, elapsed);
    }

    void log() {
        Reading r = read();
        String percent = expectedRows > 0
                ? String.format(Locale.ROOT, " of %s (%.1f%%)", RunSummary.count(expectedRows), 100.0 * r.rows() / expectedRows)
                : "";
        LOG.info(String.format(Locale.ROOT, "%s: %s rows%s, %s rows/s, %.1f MB, chunks %d/%d, %.1f s elapsed%s",
                label, RunSummary.count(r.rows()), percent, RunSummary.count(r.rowsPerSecond()), r.bytes() / 1e6,
                r.chunksDone(), r.chunksTotal(), r.elapsedSeconds(),
                r.etaSeconds() == null ? "" : String.format(Locale.ROOT, ", ETA %.0f s", r.etaSeconds())));
    }
}
