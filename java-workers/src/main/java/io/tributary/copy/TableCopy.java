package io.tributary.copy;

import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ChunkLedger.Chunk;
import io.tributary.ledger.TableLedger;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.source.PostgresSnapshot;
import io.tributary.verify.RelationCounts;
import io.tributary.verify.TransactionChecksums;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Copies one table from a source PostgreSQL into the target PostgreSQL, chunk by chunk, verified and recorded.
 *
 * <ol>
 *   <li>A coordinator opens one REPEATABLE READ READ ONLY snapshot of the source ({@link PostgresSnapshot}) and
 *       exports it; every chunk worker attaches to it, so all chunks, and the checksums the source computes for
 *       them, see one consistent state of the table.</li>
 *   <li>The table is cut into key ranges ({@link ChunkPlanner}); the plan is stored in the chunk ledger, so a
 *       re-run reuses it and skips the chunks already copied.</li>
 *   <li>Each chunk is one target transaction: binary COPY of the range (meanwhile the source checksums the same
 *       range in the snapshot, on a second connection), the chunk's ledger row ("landed", with the source's
 *       checksum and this transaction's id), commit. A kill -9 loses at most the chunks in flight, whose
 *       transactions never commit.</li>
 *   <li>Once every chunk has landed, the target database checksums each landed chunk from exactly the rows its
 *       transaction wrote ({@code xmin} = that transaction's id), all chunks in one grouped read of the table
 *       ({@link TransactionChecksums}, split into page ranges over the workers' connections): one read instead of
 *       one per chunk (which made the cost quadratic in the number of chunks). A chunk whose checksum matches the
 *       source's becomes "copied" (verified); a mismatching chunk's rows are deleted and the copy fails naming its
 *       key range. A resumed copy verifies the chunks that landed but were never verified.</li>
 *   <li>Chunk checksums add up (mod 2^64) to the table's checksum. A finished table is skipped on re-run; a
 *       target holding rows the ledger does not account for is refused unless {@code --truncate}.</li>
 * </ol>
 *
 * <p><b>Who does what.</b> This class only orchestrates one attempt ({@link CopyAttempt}: the request, its plan and
 * the coordinator's connections). {@link CopyPlanner} decides (names, merge decisions, re-run policy, chunk plan,
 * ledger entries), {@link TargetPreparation} readies the target table, {@link ChunkRunner} streams the chunks and
 * {@link CopyVerifier} checks what landed.
 *
 * <p><b>Hand-off to a change-data-capture follower.</b> The follower must start exactly where the copy's snapshot
 * ends. Two ways, both through the snapshot, never through timing:
 * <ul>
 *   <li>Today: {@code tributary follow --prepare} creates the replication slot with {@code EXPORT_SNAPSHOT} and
 *       holds that snapshot; the copy attaches to it ({@code --snapshot ID}, {@link CopyRequest#snapshot()}), and
 *       the follower streams from the slot's consistent point. The selection fingerprint includes the snapshot id,
 *       so rows copied in another snapshot are never skipped or resumed into it.</li>
 *   <li>Possible: the result's {@code source_snapshot} ({@link CopyResult.SourceSnapshot}) names the snapshot
 *       every row was read in and the transactions it includes, so a follower whose slot predates the snapshot can
 *       skip exactly the decoded transactions the copy already holds. While the copy runs, its exported id (logged at
 *       FINE) lets other readers attach to the same state.</li>
 * </ul>
 */
public final class TableCopy {
    private static final Logger LOG = Logger.getLogger(TableCopy.class.getName());

    private final ConnectionFactory connections;
    private final RunSummary summary;

    public TableCopy(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    public CopyResult run(CopyRequest request) {
        return attempt(request, false, this::copy);
    }

    /**
     * What {@link #run} would do, changing nothing: the same reads and decisions, over target and control
     * connections set read-only (a write by mistake fails instead of changing anything).
     */
    public CopyPreview preview(CopyRequest request) {
        return attempt(request, true, this::preview);
    }

    /** Opens the three connections (target and control read-only for a preview), runs {@code body}, closes them. */
    private <T> T attempt(CopyRequest request, boolean readOnly, Function<CopyAttempt, T> body) {
        CopyPlanner.Plan plan = CopyPlanner.plan(request);
        // Resolve every connection first: a missing variable fails before anything is touched.
        connections.uri(plan.source());
        connections.uri(plan.target());
        connections.uri(plan.control());
        CopyRequest shaped = CopyPlanner.withMergeDecisions(request, plan, connections, summary);
        PostgresSnapshot source = null;
        Connection target = null;
        Connection ledger = null;
        try {
            try (RunSummary.Step step = summary.begin("connect")) {
                // --snapshot: a snapshot exported elsewhere (a follower's replication slot); the chunk workers
                // import the same one.
                source = PostgresSnapshot.openOrAttach(connections, plan.source(), request.snapshot());
                target = connections.open(plan.target());
                ledger = connections.open(plan.control());
                if (readOnly) {
                    readOnly(target, plan.target());
                    readOnly(ledger, plan.control());
                }
            }
            return body.apply(new CopyAttempt(shaped, plan, source, target, ledger, connections, summary));
        } finally {
            if (source != null) {
                source.close();
            }
            ConnectionFactory.closeQuietly(target);
            ConnectionFactory.closeQuietly(ledger);
        }
    }

    private static void readOnly(Connection c, String id) {
        try (Statement st = c.createStatement()) {
            st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, id);
        }
    }

    /** Plan, make room, copy, verify, record; a failure after the start is recorded in the ledger. */
    private CopyResult copy(CopyAttempt attempt) {
        CopyPlanner planner = new CopyPlanner(attempt);
        TableShape shape = planner.readSource();
        RowSelection selection = attempt.request.shaper().shape(RowSelection.of(shape, null));
        TableShape outputShape = planner.outputShape(shape, selection);
        TargetPreparation preparation = new TargetPreparation(attempt);
        preparation.prepare(outputShape);
        String fingerprint = CopyPlanner.fingerprint(selection, planner.hasInheritanceChildren(),
                attempt.request.snapshot());
        Optional<CopyResult> skipped = planner.skipOrMakeRoom(fingerprint);
        if (skipped.isPresent()) {
            return skipped.get();
        }
        long tableId = planner.markStarted(fingerprint);
        try {
            CopyResult result = copyAndVerify(attempt, planner, preparation, shape, selection, outputShape, tableId);
            endSourceSnapshot(attempt.snapshot);
            return result;
        } catch (JobFailure failure) {
            planner.recordFailure(failure, tableId);
            throw failure;
        } catch (RuntimeException e) {
            planner.recordFailure(JobFailure.failed(e.toString(), e), tableId);
            throw e;
        }
    }

    private CopyResult copyAndVerify(CopyAttempt attempt, CopyPlanner planner, TargetPreparation preparation,
            TableShape shape, RowSelection selection, TableShape outputShape, long tableId) {
        CopyPlanner.Plan plan = attempt.plan;
        CopyRequest request = attempt.request;
        TableShape targetShape = preparation.createOrExtend(shape, outputShape);
        // A target built by `tributary schema` may have wider types than this source (many-to-one): cast on
        // the source side, so binary COPY sees the target's types and both checksums hash the same values.
        selection = preparation.castToTarget(selection, targetShape);
        selection = preparation.alignToTarget(selection, targetShape);
        outputShape = new TableShape(plan.targetTable(), selection.columns(), outputShape.primaryKey());
        // The target checksum hashes the target's columns in the selection's order, so both sides agree.
        RowSelection landed = RowSelection.of(targetShape, outputShape.columnNames(), null,
                "target table " + plan.targetTable() + " in " + plan.target());

        CopyPlanner.PlannedChunks plannedChunks = planner.chunkPlan(shape, selection, tableId);
        List<Chunk> planned = plannedChunks.chunks();
        long expectedRows = planner.expectedRows(plannedChunks, selection);

        boolean binary = outputShape.binaryCopySafe();
        String format = binary ? "binary" : "text";
        if (!binary) {
            LOG.info("using text COPY: a column's binary form would carry database-local type OIDs");
        }
        // Landed (committed, not yet verified) chunks are not copied again; they are verified with the rest.
        List<Chunk> todo = planned.stream().filter(c -> !TableLedger.COPIED.equals(c.status())
                && !TableLedger.LANDED.equals(c.status())).toList();
        List<Chunk> done = planned.stream().filter(c -> !todo.contains(c)).toList();
        long doneRows = done.stream().mapToLong(c -> c.rows() == null ? 0 : c.rows()).sum();
        if (!done.isEmpty()) {
            long unverified = done.stream().filter(c -> TableLedger.LANDED.equals(c.status())).count();
            LOG.info("resuming: " + done.size() + " of " + planned.size() + " chunks already copied ("
                    + RunSummary.count(doneRows) + " rows" + (unverified > 0 ? ", " + unverified
                    + " of them still to verify" : "") + "), " + todo.size() + " to go");
        }
        String key = planned.get(0).range() == null ? null : planned.get(0).range().column();
        int parallelism = Math.min(request.chunking().parallelism(), Math.max(1, todo.size()));
        CopyProgress progress = new CopyProgress("copy " + plan.label(), expectedRows, planned.size(),
                done.size(), doneRows);
        try (RunSummary.Step step = summary.begin("copy (" + format + ", " + todo.size() + " chunks, "
                + parallelism + " workers)")) {
            List<ChunkRunner.ChunkOutcome> outcomes = new ChunkRunner(attempt).run(todo, selection, landed, binary,
                    parallelism, progress, tableId, key);
            step.rows(outcomes.stream().mapToLong(ChunkRunner.ChunkOutcome::rows).sum());
        }
        CopyVerifier verifier = new CopyVerifier(attempt);
        verifier.verifyLandedChunks(tableId, landed, request.chunking().parallelism());
        CopyVerifier.Verified sums = verifier.sumChunks(tableId);
        RelationCounts.Comparison relations = verifier.compareRelationCounts(selection, planner.severalSourcesFill(),
                sums.source(), sums.target());

        preparation.addPrimaryKeyIfMissing(outputShape, targetShape);
        PostgresSnapshot snapshot = attempt.snapshot;
        CopyResult result = new CopyResult(plan.table().toString(), plan.source(), plan.target(),
                plan.targetTable().toString(), sums.source().rows(), sums.source().hex(), sums.target().hex(),
                true, sums.bytes(), attempt.seconds(), CopyResult.COPIED, format, request.run().runId(),
                planned.size(), key, parallelism, relations, done.isEmpty() || snapshot.imported() ? readIn(snapshot)
                        : null);
        CopyProgress.Reading r = progress.read();
        planner.recordCopied(result, tableId, new TableLedger.Progress(key, parallelism, planned.size(),
                planned.size(), expectedRows, result.rows(), r.rowsPerSecond(), 0.0), done.size());
        LOG.info("verified " + plan.label() + ": " + RunSummary.count(result.rows()) + " rows in "
                + planned.size() + " chunks, checksum " + result.checksum());
        return result;
    }

    /** The same reads and decisions as {@link #copy}, reported instead of carried out. */
    private CopyPreview preview(CopyAttempt attempt) {
        CopyPlanner.Plan plan = attempt.plan;
        CopyRequest request = attempt.request;
        CopyPlanner planner = new CopyPlanner(attempt);
        TableShape shape = planner.readSource();
        RowSelection selection = request.shaper().shape(RowSelection.of(shape, null));
        String fingerprint = CopyPlanner.fingerprint(selection, planner.hasInheritanceChildren(), request.snapshot());
        try {
            boolean ledgerExists = plan.controlSchema().exists(attempt.ledger);
            CopyPlanner.TargetDecision d = planner.decide(fingerprint, ledgerExists);
            List<Chunk> stored = d.previous().isPresent() && d.action() == CopyPlanner.Action.COPY
                    ? attempt.chunks.chunks(attempt.ledger, d.previous().get().tableId()) : List.of();
            long rows = planner.countRows(selection);
            int planned;
            String key;
            String method;
            if (stored.isEmpty()) {
                ChunkPlanner.ChunkPlan p = ChunkPlanner.plan(attempt.source, shape,
                        planner.countRows(RowSelection.of(shape, null)), request.chunking().chunkRows(),
                        request.chunking().keyColumn());
                planned = p.ranges().size();
                key = p.keyColumn();
                method = p.method();
            } else {
                planned = stored.size();
                key = stored.get(0).range() == null ? null : stored.get(0).range().column();
                method = "the stored plan of the earlier attempt";
            }
            int done = (int) stored.stream().filter(c -> TableLedger.COPIED.equals(c.status())
                    || TableLedger.LANDED.equals(c.status())).count();
            String action = switch (d.action()) {
                case COPY -> done > 0 ? "resume" : "copy";
                case SKIP -> "skip";
                case TRUNCATE_THEN_COPY -> "truncate then copy";
                case REMOVE_OWN_ROWS_THEN_COPY -> "remove this source's rows then copy";
            };
            LOG.info("dry run: would " + action + " " + plan.label() + ": " + RunSummary.count(rows) + " rows in "
                    + planned + " chunk(s) (" + method + "), " + done + " done; nothing was changed");
            return new CopyPreview(plan.table().toString(), plan.source(), plan.target(),
                    plan.targetTable().toString(), CopyPreview.DRY_RUN, action, d.exists(), d.targetRows(), rows,
                    planned, done, key, method, Math.min(request.chunking().parallelism(), Math.max(planned - done, 1)),
                    selection.selectSql(), request.run().runId());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
    }

    /** The snapshot every row was read in, for the result; on the coordinator, idle once the chunks are done. */
    private static CopyResult.SourceSnapshot readIn(PostgresSnapshot snapshot) {
        return new CopyResult.SourceSnapshot(snapshot.id(), snapshot.imported(), snapshot.visibleTransactions());
    }

    private static void endSourceSnapshot(PostgresSnapshot snapshot) {
        try {
            snapshot.end();
        } catch (JobFailure e) {
            LOG.log(Level.FINE, "ending the source snapshot failed after a successful copy", e);
        }
    }
}
