package io.tributary.metrics;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the running job has moved so far, for the metrics pushed while it runs (rows, bytes, chunks, rows/s,
 * ETA): the engine's streaming loops (copy, the Parquet export of stage and archive, the warehouse load) add to
 * it as rows go by, {@link JobMetrics} reads it at every heartbeat. One job runs per worker process, so this is
 * process-wide instead of being threaded through every engine class; {@link JobMetrics} resets it when a job
 * starts.
 */
public final class LiveProgress {
    private static final LongAdder ROWS = new LongAdder();
    private static final LongAdder BYTES = new LongAdder();
    private static final AtomicLong CHUNKS_DONE = new AtomicLong();
    private static final AtomicLong CHUNKS_TOTAL = new AtomicLong();
    private static final AtomicLong EXPECTED_ROWS = new AtomicLong();
    private static final AtomicLong ROWS_BEFORE = new AtomicLong();
    private static volatile long startedNanos = System.nanoTime();

    private LiveProgress() {
    }

    static void reset() {
        ROWS.reset();
        BYTES.reset();
        CHUNKS_DONE.set(0);
        CHUNKS_TOTAL.set(0);
        EXPECTED_ROWS.set(0);
        ROWS_BEFORE.set(0);
        startedNanos = System.nanoTime();
    }

    /** Rows and bytes streamed (negative: a rolled-back chunk's rows, streamed again by its retry). */
    public static void streamed(long rows, long bytes) {
        ROWS.add(rows);
        BYTES.add(bytes);
    }

    /** The job's plan: rows expected in all, chunks in all, and what an earlier attempt already finished. */
    public static void planned(long expectedRows, long chunksTotal, long chunksAlreadyDone, long rowsAlreadyDone) {
        EXPECTED_ROWS.set(Math.max(0, expectedRows));
        CHUNKS_TOTAL.set(Math.max(0, chunksTotal));
        CHUNKS_DONE.set(Math.max(0, chunksAlreadyDone));
        ROWS_BEFORE.set(Math.max(0, rowsAlreadyDone));
    }

    /** More planned work, for jobs that learn their plan piece by piece (a stage of several partitions). */
    public static void addPlanned(long expectedRows, long chunks) {
        EXPECTED_ROWS.addAndGet(Math.max(0, expectedRows));
        CHUNKS_TOTAL.addAndGet(Math.max(0, chunks));
    }

    public static void chunkDone() {
        CHUNKS_DONE.incrementAndGet();
    }

    /** Rows done, counting what an earlier attempt finished (a resumed copy does not start from 0). */
    static long rows() {
        return ROWS_BEFORE.get() + ROWS.sum();
    }

    static long bytes() {
        return BYTES.sum();
    }

    static long chunksDone() {
        return CHUNKS_DONE.get();
    }

    static long chunksTotal() {
        return CHUNKS_TOTAL.get();
    }

    /** This attempt's rate (rows it streamed itself over its own time). */
    static double rowsPerSecond() {
        double elapsed = (System.nanoTime() - startedNanos) / 1e9;
        return elapsed > 0 ? ROWS.sum() / elapsed : 0;
    }

    /** Seconds left at this attempt's rate; NaN while the total or the rate is unknown. */
    static double etaSeconds() {
        double rate = rowsPerSecond();
        long left = EXPECTED_ROWS.get() - rows();
        return rate > 0 && EXPECTED_ROWS.get() > 0 ? Math.max(0, left) / rate : Double.NaN;
    }
}
