package io.tributary.copy;

import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ChunkLedger;
import io.tributary.ledger.ChunkLedger.Chunk;
import io.tributary.ledger.TableLedger;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.verify.Checksum;
import io.tributary.verify.TableChecksum;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Streams a copy's chunks: {@code parallelism} workers, each with its own source connection attached to the
 * copy's exported snapshot and its own target connection. Each chunk is one target transaction: binary (or text)
 * COPY of its key range while the source checksums the same range in the snapshot on a second connection, then
 * the chunk's ledger row ("landed", with the source's checksum and this transaction's id), then commit. The
 * target's side of the check comes later, for all landed chunks at once ({@link CopyVerifier}).
 */
final class ChunkRunner {
    private static final Logger LOG = Logger.getLogger(ChunkRunner.class.getName());

    private final CopyAttempt attempt;
    private final CopyRequest request;
    private final CopyPlanner.Plan plan;
    private final ChunkLedger chunks;

    ChunkRunner(CopyAttempt attempt) {
        this.attempt = attempt;
        this.request = attempt.request;
        this.plan = attempt.plan;
        this.chunks = attempt.chunks;
    }

    /**
     * Runs the chunks on {@code parallelism} workers, each with its own source connection in the exported
     * snapshot and its own target connection. The first failure stops the others taking new chunks.
     */
    List<ChunkOutcome> run(List<Chunk> todo, RowSelection selection, RowSelection landed,
            boolean binary, int parallelism, CopyProgress progress, long tableId, String key) {
        ConcurrentLinkedQueue<Chunk> queue = new ConcurrentLinkedQueue<>(todo);
        List<ChunkOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "chunk-worker");
            t.setDaemon(true);
            return t;
        });
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(100, (long) (request.progressSeconds() * 1000));
        reporter.scheduleAtFixedRate(() -> report(progress, tableId, key, parallelism), every, every,
                TimeUnit.MILLISECONDS);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < parallelism; i++) {
            futures.add(pool.submit(() -> {
                new ChunkWorker(selection, landed, binary, progress).drain(queue, stop, outcomes);
                return null;
            }));
        }
        RuntimeException first = null;
        try {
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    stop.set(true);
                    RuntimeException cause = e.getCause() instanceof RuntimeException re ? re
                            : JobFailure.failed(e.getCause().toString(), e.getCause());
                    // A verification failure names the data problem; prefer it over knock-on errors.
                    if (first == null || (cause instanceof JobFailure jf
                            && jf.exitCode() == ExitCode.VERIFICATION_FAILED)) {
                        first = cause;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stop.set(true);
                    first = JobFailure.failed("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
            reporter.shutdownNow();
            try {
                reporter.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (first != null) {
            throw first;
        }
        progress.log();
        return outcomes;
    }

    /** Logs progress and stores it in the control schema (the reporter thread owns the ledger meanwhile). */
    private void report(CopyProgress progress, long tableId, String key, int parallelism) {
        progress.log();
        CopyProgress.Reading r = progress.read();
        try {
            synchronized (attempt.ledger) {
                attempt.tables.progress(attempt.ledger, tableId, new TableLedger.Progress(key, parallelism,
                        r.chunksTotal(), r.chunksDone(), r.expectedRows(), r.rows(), r.rowsPerSecond(),
                        r.etaSeconds()));
            }
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.FINE, "could not store progress", e);
        }
    }

    /** What one chunk landed (its target checksum comes later, from {@link CopyVerifier#verifyLandedChunks}). */
    record ChunkOutcome(long rows, long bytes, Checksum source) {
    }

    /** One worker thread: its own connections, chunks taken from the shared queue until none is left. */
    private final class ChunkWorker {
        private final RowSelection selection;
        private final RowSelection landed;
        private final boolean binary;
        private final CopyProgress progress;
        /** Runs this worker's source checksums (on their own connection) while its own thread runs the COPY. */
        private final ExecutorService sourceChecksums = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "source-checksum");
            t.setDaemon(true);
            return t;
        });

        ChunkWorker(RowSelection selection, RowSelection landed, boolean binary, CopyProgress progress) {
            this.selection = selection;
            this.landed = landed;
            this.binary = binary;
            this.progress = progress;
        }

        void drain(ConcurrentLinkedQueue<Chunk> queue, AtomicBoolean stop, List<ChunkOutcome> outcomes) {
            Connection src = null;
            Connection sum = null;
            Connection dst = null;
            Connection book = null;
            try {
                src = attempt.snapshot.attach();
                sum = attempt.snapshot.attach();
                dst = attempt.connections.open(plan.target());
                dst.setAutoCommit(false);
                book = attempt.connections.open(plan.control());
                Chunk chunk;
                while (!stop.get() && (chunk = queue.poll()) != null) {
                    outcomes.add(copyChunk(chunk, src, sum, dst, book));
                }
                src.commit();
                sum.commit();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            } finally {
                sourceChecksums.shutdownNow();
                ConnectionFactory.closeQuietly(src);
                ConnectionFactory.closeQuietly(sum);
                ConnectionFactory.closeQuietly(dst);
                ConnectionFactory.closeQuietly(book);
            }
        }

        private ChunkOutcome copyChunk(Chunk chunk, Connection src, Connection sum, Connection dst,
                Connection book) {
            KeyRange range = chunk.range();
            String where = range == null ? "whole table" : "key range " + range;
            RowSelection part = selection.withRange(range);
            try {
                chunks.record(book, new Chunk(chunk.tableId(), chunk.chunkNo(), range, TableLedger.COPYING,
                        null, null, null, null, 0), request.run().runId(), null, true);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            // The source checksums the range in the snapshot (helper thread, own connection) while it streams.
            Future<Checksum> sourceFuture = sourceChecksums.submit(() -> new TableChecksum(part).compute(sum));
            String options = binary ? " (FORMAT binary)" : "";
            CopyStream.Streamed streamed;
            long xid;
            try {
                streamed = CopyStream.pump(
                        src, plan.source(), "COPY (" + part.copySelectSql() + ") TO STDOUT" + options,
                        dst, plan.target(), landed.copyFromStdin(plan.targetTable()) + options,
                        progress, binary);
                xid = currentTransaction(dst);
            } catch (SQLException e) {
                awaitQuietly(sourceFuture); // sum must be idle before the worker touches it again
                ConnectionFactory.rollbackQuietly(dst);
                throw DatabaseFault.classify(e, plan.target());
            } catch (RuntimeException e) {
                awaitQuietly(sourceFuture);
                ConnectionFactory.rollbackQuietly(dst);
                throw e;
            }
            Checksum sourceChecksum;
            try {
                sourceChecksum = sourceFuture.get();
            } catch (ExecutionException e) {
                ConnectionFactory.rollbackQuietly(dst);
                Throwable cause = e.getCause();
                if (cause instanceof SQLException sql) {
                    throw DatabaseFault.classify(sql, plan.source());
                }
                throw cause instanceof RuntimeException re ? re : JobFailure.failed(cause.toString(), cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                awaitQuietly(sourceFuture);
                ConnectionFactory.rollbackQuietly(dst);
                throw JobFailure.failed("interrupted", e);
            }
            if (streamed.rows() != sourceChecksum.rows()) {
                // Rare: checksum what this transaction wrote, for the report, before rolling it back.
                Checksum targetChecksum;
                try {
                    targetChecksum = new TableChecksum(landed.withPredicate(
                            "\"xmin\" = pg_catalog.pg_current_xact_id()::xid")).compute(dst);
                } catch (SQLException e) {
                    ConnectionFactory.rollbackQuietly(dst);
                    throw DatabaseFault.classify(e, plan.target());
                }
                ConnectionFactory.rollbackQuietly(dst);
                progress.discard(streamed.rows(), streamed.bytes());
                JobFailure failure = CopyVerifier.mismatch(plan, sourceChecksum, targetChecksum, range,
                        "chunk rolled back");
                try {
                    chunks.record(book, new Chunk(chunk.tableId(), chunk.chunkNo(), range, TableLedger.MISMATCH,
                            sourceChecksum.rows(), sourceChecksum.hex(), targetChecksum.hex(), streamed.bytes(), 0),
                            request.run().runId(), failure.getMessage(), false);
                } catch (SQLException e) {
                    LOG.warning("could not record the chunk mismatch: " + e.getMessage());
                }
                throw failure;
            }
            Chunk landedChunk = new Chunk(chunk.tableId(), chunk.chunkNo(), range, TableLedger.LANDED,
                    sourceChecksum.rows(), sourceChecksum.hex(), null, streamed.bytes(), 0, xid);
            try {
                if (plan.ledgerInTarget()) {
                    // The chunk's ledger row commits with its rows: "landed" can never run ahead of the data.
                    chunks.record(dst, landedChunk, request.run().runId(), null, false);
                    dst.commit();
                } else {
                    dst.commit();
                    chunks.record(book, landedChunk, request.run().runId(), null, false);
                }
            } catch (SQLException e) {
                ConnectionFactory.rollbackQuietly(dst);
                throw DatabaseFault.classify(e, plan.target());
            }
            progress.chunkDone();
            LOG.fine("chunk " + chunk.chunkNo() + " (" + where + "): " + RunSummary.count(streamed.rows())
                    + " rows landed, source checksum " + sourceChecksum.hex());
            return new ChunkOutcome(streamed.rows(), streamed.bytes(), sourceChecksum);
        }
    }

    /** The 64-bit id of the connection's current transaction (assigned: it has written rows). */
    private long currentTransaction(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_xact_id()::text")) {
            rs.next();
            return Long.parseLong(rs.getString(1));
        }
    }

    /** Waits for a checksum still running on a connection about to be rolled back or closed. */
    private static void awaitQuietly(Future<?> future) {
        try {
            future.get();
        } catch (ExecutionException | RuntimeException e) {
            LOG.log(Level.FINE, "the concurrent checksum failed too", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
