package io.tributary.copy;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
import io.tributary.conflicts.TypeWidening;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ChunkLedger;
import io.tributary.ledger.ChunkLedger.Chunk;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.RunLedger;
import io.tributary.ledger.TableLedger;
import io.tributary.ledger.TableLedger.Entry;
import io.tributary.ledger.TableLedger.Outcome;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.source.PostgresSnapshot;
import io.tributary.verify.Checksum;
import io.tributary.verify.RelationCounts;
import io.tributary.verify.TableChecksum;
import io.tributary.verify.TransactionChecksums;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
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
    private final CatalogReader catalog = new CatalogReader();

    public TableCopy(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    /** The names a request resolves to, decided before anything connects. */
    record Plan(String source, TableRef table, String target, TableRef targetTable, String control,
            ControlSchema controlSchema, TableLedger.Key key) {
        boolean ledgerInTarget() {
            return control.equals(target);
        }

        String label() {
            return source + " " + table + " → " + target + " " + targetTable;
        }
    }

    static Plan plan(CopyRequest request) {
        MigrationConfig config = request.config();
        String source = request.source();
        MigrationConfig.Source declared = config.source(source).orElseThrow(() -> JobFailure.badInput(
                "source " + source + " is not declared in " + config.fileName() + " (declared: "
                        + String.join(", ", config.sourceIds()) + ")"));
        String target = request.target() != null ? request.target() : config.targets().consolidatedConnection();
        if (target.equals(source)) {
            throw JobFailure.badInput("source and target are the same connection (" + source + ")");
        }
        TableRef table = request.table();
        TableRef targetTable = request.targetTable();
        if (targetTable == null) {
            targetTable = config.consolidateEntry(source, table)
                    .map(MigrationConfig.ConsolidateTable::targetTable)
                    .orElse(null);
        }
        if (targetTable == null) {
            targetTable = declared.targetSchema() != null ? table.inSchema(declared.targetSchema()) : table;
        }
        String control = config.control().connection();
        return new Plan(source, table, target, targetTable, control, new ControlSchema(config.control().schema()),
                new TableLedger.Key(source, table.toString(), target, targetTable.toString()));
    }

    public CopyResult run(CopyRequest request) {
        return attempt(request, false, Attempt::run);
    }

    /**
     * What {@link #run} would do, changing nothing: the same reads and decisions, over target and control
     * connections set read-only (a write by mistake fails instead of changing anything).
     */
    public CopyPreview preview(CopyRequest request) {
        return attempt(request, true, Attempt::preview);
    }

    /** Opens the three connections (target and control read-only for a preview), runs {@code body}, closes them. */
    private <T> T attempt(CopyRequest request, boolean readOnly, java.util.function.Function<Attempt, T> body) {
        Plan plan = plan(request);
        // Resolve every connection first: a missing variable fails before anything is touched.
        connections.uri(plan.source());
        connections.uri(plan.target());
        connections.uri(plan.control());
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
            return body.apply(new Attempt(request, plan, source, target, ledger));
        } finally {
            if (source != null) {
                source.close();
            }
            ConnectionFactory.closeQuietly(target);
            ConnectionFactory.closeQuietly(ledger);
        }
    }

    private static void readOnly(Connection c, String id) {
        try {
            execute(c, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, id);
        }
    }

    /** One attempt at one table: a coordinator over three connections, plus a pool of chunk workers. */
    private final class Attempt {
        private final CopyRequest request;
        private final Plan plan;
        /** Held open until every chunk is done: the chunk workers attach to it. */
        private final PostgresSnapshot snapshot;
        /** The snapshot's coordinator connection. */
        private final Connection source;
        /** Autocommit: DDL, the skip/truncate decision and the per-table advisory lock (session level). */
        private final Connection target;
        /** Autocommit connection to the control schema: progress that must survive a rollback. */
        private final Connection ledger;
        private final TableLedger tables;
        private final ChunkLedger chunks;
        private final AuditLog audit;
        private final long startedNanos = System.nanoTime();
        private final OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);

        Attempt(CopyRequest request, Plan plan, PostgresSnapshot snapshot, Connection target, Connection ledger) {
            this.request = request;
            this.plan = plan;
            this.snapshot = snapshot;
            this.source = snapshot.connection();
            this.target = target;
            this.ledger = ledger;
            ControlSchema control = plan.controlSchema();
            this.tables = new TableLedger(control);
            this.chunks = new ChunkLedger(control);
            this.audit = new AuditLog(control);
        }

        CopyResult run() {
            TableShape shape = readSource();
            RowSelection selection = request.shaper().shape(RowSelection.of(shape, null));
            TableShape outputShape = outputShape(shape, selection);
            prepareTarget(outputShape);
            String fingerprint = fingerprint(selection, hasInheritanceChildren(), request.snapshot());
            Optional<CopyResult> skipped = skipOrMakeRoom(fingerprint);
            if (skipped.isPresent()) {
                return skipped.get();
            }
            long tableId = markStarted(fingerprint);
            try {
                CopyResult result = copyAndVerify(shape, selection, outputShape, tableId);
                endSourceSnapshot();
                return result;
            } catch (JobFailure failure) {
                recordFailure(failure, tableId);
                throw failure;
            } catch (RuntimeException e) {
                recordFailure(JobFailure.failed(e.toString(), e), tableId);
                throw e;
            }
        }

        CopyPreview preview() {
            TableShape shape = readSource();
            RowSelection selection = request.shaper().shape(RowSelection.of(shape, null));
            String fingerprint = fingerprint(selection, hasInheritanceChildren(), request.snapshot());
            try {
                boolean ledgerExists = plan.controlSchema().exists(ledger);
                TargetDecision d = decide(fingerprint, ledgerExists);
                List<Chunk> stored = d.previous().isPresent() && d.action() == Action.COPY
                        ? chunks.chunks(ledger, d.previous().get().tableId()) : List.of();
                long rows = countRows(selection);
                int planned;
                String key;
                String method;
                if (stored.isEmpty()) {
                    ChunkPlanner.ChunkPlan p = ChunkPlanner.plan(source, shape, countRows(RowSelection.of(shape, null)),
                            request.chunking().chunkRows(), request.chunking().keyColumn());
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

        /** Reads the table's shape in the source snapshot and exports it; a missing table is bad input. */
        private TableShape readSource() {
            try (RunSummary.Step step = summary.begin("source catalog")) {
                TableShape shape = catalog.read(source, plan.table()).orElseThrow(() -> JobFailure.badInput(
                        "table " + plan.table() + " does not exist in " + plan.source()));
                // Exported now, while the coordinator is idle: chunk workers attach from their own threads later.
                String id = snapshot.id();
                LOG.fine(() -> "reading " + plan.source() + " in snapshot " + id);
                return shape;
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }
        }

        /** True when the source table is an inheritance parent (a partitioned table's partitions do not count). */
        private boolean hasInheritanceChildren() {
            try (PreparedStatement ps = source.prepareStatement("""
                    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                                     JOIN pg_catalog.pg_class c ON c.oid = i.inhparent
                                     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                    WHERE n.nspname = ? AND c.relname = ? AND c.relkind <> 'p')""")) {
                ps.setString(1, plan.table().schema());
                ps.setString(2, plan.table().name());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }
        }

        /** The target table's shape: the selection's output columns, keeping the source key if all selected. */
        private TableShape outputShape(TableShape source, RowSelection selection) {
            TableShape.PrimaryKey key = source.primaryKeyIfAny()
                    .filter(pk -> selection.columns().stream().map(c -> c.name()).toList().containsAll(pk.columns()))
                    .orElse(null);
            return new TableShape(plan.targetTable(), selection.columns(), key);
        }

        /**
         * Only now that the input is known good does anything change on the target side: the control
         * schema, shared schemas and types, then the per-table lock.
         */
        private void prepareTarget(TableShape outputShape) {
            try (RunSummary.Step step = summary.begin("control schema")) {
                plan.controlSchema().ensure(ledger);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            try {
                List<UserType> types = catalog.userTypes(source, outputShape);
                TargetTable.prepareSharedObjects(target, plan.targetTable(), types);
                target.setAutoCommit(true);
                lockTargetTable();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        /**
         * Several sources may target one table (many-to-one); only one copy into it may run at a time, or the
         * row accounting below could race. Session level: released when this worker ends, even by kill -9.
         */
        private void lockTargetTable() throws SQLException {
            try (PreparedStatement ps = target.prepareStatement(
                    "SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtextextended(?, 0))")) {
                ps.setString(1, "tributary copy into " + plan.targetTable());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw JobFailure.retryable("another worker is copying into " + plan.targetTable()
                                + " in " + plan.target() + " right now; retry later", null);
                    }
                }
            }
        }

        /** What a copy does with its target table; decided by reads only, so the dry run shares the rule. */
        private enum Action { COPY, SKIP, TRUNCATE_THEN_COPY, REMOVE_OWN_ROWS_THEN_COPY }

        /** The decision and what it was taken on. */
        private record TargetDecision(Action action, Optional<Entry> previous, boolean exists, long targetRows) {
        }

        /**
         * Skip (already copied, same selection), refuse (unaccounted rows, or rows copied with another selection,
         * or a --truncate that would remove other sources' rows), clear (--truncate), else copy. Reads only.
         * {@code ledgerExists}: false on a dry run against a control schema not created yet (no history).
         */
        private TargetDecision decide(String fingerprint, boolean ledgerExists) {
            try {
                Optional<Entry> previous = ledgerExists ? tables.find(ledger, plan.key()) : Optional.empty();
                if (previous.isPresent() && !request.truncate()) {
                    refuseChangedSelection(previous.get(), fingerprint);
                }
                boolean exists = TargetTable.exists(target, plan.targetTable());
                long targetRows = exists ? TargetTable.rowCount(target, plan.targetTable()) : 0;
                long accounted = ledgerExists
                        ? tables.copiedRowsInto(ledger, plan.target(), plan.targetTable().toString()) : 0;
                boolean copied = previous.isPresent() && TableLedger.COPIED.equals(previous.get().status());
                if (copied && !request.truncate() && targetRows == accounted) {
                    return new TargetDecision(Action.SKIP, previous, exists, targetRows);
                }
                if (!request.truncate() && targetRows != accounted) {
                    throw JobFailure.badInput(targetRows > accounted
                            ? "target " + plan.targetTable() + " already holds "
                                    + RunSummary.count(targetRows - accounted)
                                    + " rows not written by this run; pass --truncate to replace them"
                            : "target " + plan.targetTable() + " holds " + RunSummary.count(targetRows)
                                    + " rows but the ledger accounts for " + RunSummary.count(accounted)
                                    + "; pass --truncate to copy it again");
                }
                if (!request.truncate()) {
                    return new TargetDecision(Action.COPY, previous, exists, targetRows);
                }
                List<Entry> others = ledgerExists ? otherSourcesCopied() : List.of();
                if (request.shaper().ownRowsInTarget() != null && exists && !others.isEmpty()) {
                    return new TargetDecision(Action.REMOVE_OWN_ROWS_THEN_COPY, previous, exists, targetRows);
                }
                if (!others.isEmpty()) { // TRUNCATE would also drop what other sources copied into the table
                    Entry e = others.get(0);
                    throw JobFailure.badInput("--truncate would also remove rows copied into " + plan.targetTable()
                            + " from " + e.key().source() + " " + e.key().sourceTable());
                }
                return new TargetDecision(Action.TRUNCATE_THEN_COPY, previous, exists, targetRows);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        /** Carries out the decision: the skip's result, or the room made for the copy (empty: copy on). */
        private Optional<CopyResult> skipOrMakeRoom(String fingerprint) {
            TargetDecision d = decide(fingerprint, true);
            try {
                switch (d.action()) {
                    case SKIP -> {
                        return Optional.of(skip(d.previous().get()));
                    }
                    case REMOVE_OWN_ROWS_THEN_COPY -> removeOwnRows(d.previous(), request.shaper().ownRowsInTarget());
                    case TRUNCATE_THEN_COPY -> truncate(d.previous(), d.exists(), d.targetRows());
                    case COPY -> { }
                }
                return Optional.empty();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        /**
         * Rows copied (all or some chunks) with another selection than this run's: {@code tributary resolve}
         * decided differently since (new duplicates, another strategy or offset), or the source table's columns
         * changed. Copying on, or skipping, would leave two resolutions side by side in one target table.
         */
        private void refuseChangedSelection(Entry previous, String fingerprint) throws SQLException {
            String earlier = previous.selectionFingerprint();
            if (earlier == null || earlier.equals(fingerprint)) {
                return; // same selection, or copied before fingerprints were recorded
            }
            long landedChunks = chunks.chunks(ledger, previous.tableId()).stream()
                    .filter(c -> TableLedger.COPIED.equals(c.status()) || TableLedger.LANDED.equals(c.status()))
                    .count();
            if (!TableLedger.COPIED.equals(previous.status()) && landedChunks == 0) {
                return; // nothing of the earlier selection landed
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("source_table", plan.table().toString());
            details.put("target_table", plan.targetTable().toString());
            details.put("copied_by_run", previous.runId());
            details.put("copied_fingerprint", earlier);
            details.put("fingerprint", fingerprint);
            throw JobFailure.badInput("the rows selected from " + plan.source() + " " + plan.table() + " for "
                    + plan.target() + " " + plan.targetTable() + " changed since run " + previous.runId()
                    + " copied them (tributary resolve decided differently, e.g. new duplicate natural keys or another"
                    + " strategy, or the source table's columns changed, or they were copied in another snapshot than"
                    + " --snapshot's): copying now would mix two resolutions in "
                    + plan.targetTable() + "; nothing was changed. Re-run this copy with --truncate (DAG"
                    + " tributary_consolidate: Param truncate) to replace " + plan.source() + "'s rows there, and so"
                    + " the copies of the tables that reference it", details);
        }

        /** Other movements into the same target table that copied rows. */
        private List<Entry> otherSourcesCopied() throws SQLException {
            List<Entry> others = new ArrayList<>();
            for (Entry e : tables.list(ledger, null)) {
                boolean sameTarget = e.key().target().equals(plan.target())
                        && e.key().targetTable().equals(plan.targetTable().toString());
                if (sameTarget && !e.key().equals(plan.key()) && TableLedger.COPIED.equals(e.status())) {
                    others.add(e);
                }
            }
            return others;
        }

        /**
         * --truncate of one source of a table several sources fill: delete only the rows its origin column names
         * (and forget its chunk plan) together when the ledger lives in the target; the other sources' rows stay.
         */
        private void removeOwnRows(Optional<Entry> previous, String ownRows) throws SQLException {
            long removed = clearAndForgetPlan("DELETE FROM " + TargetTable.ownRows(target, plan.targetTable())
                    + " WHERE " + ownRows,
                    previous);
            LOG.info("removed " + RunSummary.count(removed) + " rows of " + plan.source() + " from " + plan.targetTable()
                    + " (" + ownRows + "); the other sources' rows stay");
        }

        /** TRUNCATE and forget the chunk plan together when the ledger lives in the target. */
        private void truncate(Optional<Entry> previous, boolean exists, long targetRows) throws SQLException {
            clearAndForgetPlan(exists ? "TRUNCATE " + TargetTable.ownRows(target, plan.targetTable()) : null, previous);
            if (exists) {
                LOG.info("truncated " + plan.targetTable() + " (" + RunSummary.count(targetRows) + " rows)");
            }
        }

        /**
         * Clears rows of the target table ({@code sql}, if any) and forgets the earlier chunk plan: in one
         * transaction when the ledger lives in the target, else the plan right after. Returns the update count.
         */
        private long clearAndForgetPlan(String sql, Optional<Entry> previous) throws SQLException {
            long affected = 0;
            target.setAutoCommit(false);
            try {
                if (sql != null) {
                    try (Statement st = target.createStatement()) {
                        affected = st.executeUpdate(sql);
                    }
                }
                if (previous.isPresent() && plan.ledgerInTarget()) {
                    chunks.reset(target, previous.get().tableId());
                }
                target.commit();
            } catch (SQLException | RuntimeException e) {
                target.rollback();
                throw e;
            } finally {
                target.setAutoCommit(true);
            }
            if (previous.isPresent() && !plan.ledgerInTarget()) {
                chunks.reset(ledger, previous.get().tableId());
            }
            return affected;
        }

        private CopyResult skip(Entry entry) {
            LOG.info(plan.label() + ": already copied, nothing to do (" + RunSummary.count(entry.rows())
                    + " rows, checksum " + entry.sourceChecksum() + ", run " + entry.runId() + ")");
            try {
                audit.append(ledger, request.run(), "copy.skipped", detail(
                        "rows", entry.rows(), "checksum", entry.sourceChecksum(), "copied_by_run", entry.runId()));
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            summary.record("skip (already copied)", entry.rows(), 0);
            return new CopyResult(plan.table().toString(), plan.source(), plan.target(),
                    plan.targetTable().toString(), entry.rows(), entry.sourceChecksum(), entry.targetChecksum(),
                    entry.verified(), entry.bytes() == null ? 0 : entry.bytes(), seconds(), CopyResult.SKIPPED,
                    null, request.run().runId(), null, null, null, null, null);
        }

        /** Committed at once (own connection), so status shows the copy in flight and counts attempts. */
        private long markStarted(String fingerprint) {
            try {
                new RunLedger(plan.controlSchema()).touch(ledger, request.run());
                return tables.begin(ledger, plan.key(), request.run().runId(), fingerprint);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
        }

        private CopyResult copyAndVerify(TableShape shape, RowSelection selection, TableShape outputShape,
                long tableId) {
            TableShape targetShape;
            try {
                if (!TargetTable.exists(target, plan.targetTable())) {
                    // Committed on its own: chunk transactions are independent and all need the table.
                    TargetTable.create(target, plan.targetTable(), outputShape);
                }
                targetShape = catalog.read(target, plan.targetTable()).orElseThrow();
                // A projection may add a column the source lacks (the merge's origin column): a target table
                // created earlier (by the schema builder, or by a one-to-one copy) gets it here.
                if (TargetTable.addMissingColumns(target, plan.targetTable(), targetShape, outputShape, shape)) {
                    targetShape = catalog.read(target, plan.targetTable()).orElseThrow();
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            // A target built by `tributary schema` may have wider types than this source (many-to-one): cast on
            // the source side, so binary COPY sees the target's types and both checksums hash the same values.
            selection = castToTarget(selection, targetShape);
            selection = alignToTarget(selection, targetShape);
            outputShape = new TableShape(plan.targetTable(), selection.columns(), outputShape.primaryKey());
            // The target checksum hashes the target's columns in the selection's order, so both sides agree.
            RowSelection landed = RowSelection.of(targetShape, outputShape.columnNames(), null,
                    "target table " + plan.targetTable() + " in " + plan.target());

            PlannedChunks plannedChunks = chunkPlan(shape, selection, tableId);
            List<Chunk> planned = plannedChunks.chunks();
            long expectedRows;
            if (plannedChunks.countedTableRows().isPresent() && selection.predicate() == null) {
                // the plan just counted the same rows in the same snapshot
                expectedRows = plannedChunks.countedTableRows().getAsLong();
            } else {
                try (RunSummary.Step step = summary.begin("source rows")) {
                    expectedRows = countRows(selection);
                    step.rows(expectedRows);
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, plan.source());
                }
            }

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
            List<ChunkOutcome> outcomes;
            try (RunSummary.Step step = summary.begin("copy (" + format + ", " + todo.size() + " chunks, "
                    + parallelism + " workers)")) {
                outcomes = runChunks(todo, selection, landed, binary, parallelism, progress, tableId, key);
                step.rows(outcomes.stream().mapToLong(o -> o.rows).sum());
            }
            verifyLandedChunks(tableId, landed, request.chunking().parallelism());

            Checksum sourceSum = Checksum.EMPTY;
            Checksum targetSum = Checksum.EMPTY;
            long bytes = 0;
            List<Chunk> verified;
            try {
                verified = chunks.chunks(ledger, tableId);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            for (Chunk c : verified) {
                if (!TableLedger.COPIED.equals(c.status())) {
                    throw JobFailure.failed("chunk " + c.chunkNo() + " of " + plan.label() + " is " + c.status()
                            + " after verification", null);
                }
                sourceSum = sourceSum.plus(new Checksum(c.rows(), c.sourceChecksum()));
                targetSum = targetSum.plus(new Checksum(c.rows(), c.targetChecksum()));
                bytes += c.bytes() == null ? 0 : c.bytes();
            }
            if (!sourceSum.equals(targetSum)) {
                // Every chunk matched, so only a ledger edited by hand can get here.
                throw mismatch(sourceSum, targetSum, null, null);
            }

            RelationCounts.Comparison relations = compareRelationCounts(selection, sourceSum, targetSum);

            addPrimaryKeyIfMissing(outputShape, targetShape);
            CopyResult result = new CopyResult(plan.table().toString(), plan.source(), plan.target(),
                    plan.targetTable().toString(), sourceSum.rows(), sourceSum.hex(), targetSum.hex(),
                    true, bytes, seconds(), CopyResult.COPIED, format, request.run().runId(), planned.size(), key,
                    parallelism, relations, done.isEmpty() || snapshot.imported() ? readIn() : null);
            try (RunSummary.Step step = summary.begin("ledger")) {
                tables.finish(ledger, plan.key(), request.run().runId(), new Outcome(result.rows(), result.checksum(),
                        result.targetChecksum(), result.bytes(), startedAt));
                CopyProgress.Reading r = progress.read();
                tables.progress(ledger, tableId, new TableLedger.Progress(key, parallelism, planned.size(),
                        planned.size(), expectedRows, result.rows(), r.rowsPerSecond(), 0.0));
                audit.append(ledger, request.run(), "copy", detail("rows", result.rows(), "checksum",
                        result.checksum(), "bytes", result.bytes(), "status", result.status(), "chunks", planned.size(),
                        "resumed_chunks", done.size()));
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            LOG.info("verified " + plan.label() + ": " + RunSummary.count(result.rows()) + " rows in "
                    + planned.size() + " chunks, checksum " + result.checksum());
            return result;
        }

        /**
         * The check that does not share the copy's SELECT ({@link RelationCounts}): {@code count(*) FROM ONLY} of the
         * table and its partitions, the source in the copy's snapshot, the target now. Only where the target table's
         * rows are exactly this source's rows: not when a row predicate leaves some out (a split, duplicates settled
         * against another instance) or other sources fill the same table (their sum is checked after all of them).
         */
        private RelationCounts.Comparison compareRelationCounts(RowSelection selection, Checksum sourceSum,
                Checksum targetSum) {
            List<Entry> others;
            try {
                others = otherSourcesCopied();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            if (selection.predicate() != null) {
                return new RelationCounts.Comparison("not compared: a row predicate selects part of " + plan.table(),
                        List.of());
            }
            if (request.shaper().ownRowsInTarget() != null || !others.isEmpty()) {
                return new RelationCounts.Comparison("not compared: several sources fill " + plan.targetTable()
                        + " (the verify step adds their figures up)", List.of());
            }
            List<RelationCounts.Relation> sourceRelations;
            List<RelationCounts.Relation> targetRelations;
            try (RunSummary.Step step = summary.begin("relation counts")) {
                try {
                    sourceRelations = RelationCounts.read(source, plan.table());
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, plan.source());
                }
                try {
                    targetRelations = RelationCounts.read(target, plan.targetTable());
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, plan.target());
                }
                step.rows(sourceRelations.stream().mapToLong(RelationCounts.Relation::rows).sum());
            }
            RelationCounts.Comparison comparison = RelationCounts.compare(sourceRelations, targetRelations);
            if (!comparison.agrees()) {
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("table", plan.table().toString());
                details.put("rows", sourceSum.rows());
                details.put("checksum", sourceSum.hex());
                details.put("target_checksum", targetSum.hex());
                details.put("relation_counts", comparison);
                throw JobFailure.verificationFailed("verification failed for " + plan.label() + ": the checksums"
                        + " agree but the relations' own row counts (count(*) FROM ONLY) do not: "
                        + comparison.describeMismatches(), details);
            }
            return comparison;
        }

        /**
         * Every target column, in the target's order: a column this source lacks (another instance has it, so
         * the unified table does) is selected as a typed NULL. Then each source's checksum covers whole target
         * rows, and the sources' checksums add up to the target table's own (which hashes every column in
         * ordinal order), whatever column order or column set each instance has.
         */
        private RowSelection alignToTarget(RowSelection selection, TableShape targetShape) {
            List<RowSelection.Projection> byTarget = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (ColumnShape t : targetShape.columns()) {
                Optional<RowSelection.Projection> p = selection.projections().stream()
                        .filter(x -> x.column().name().equals(t.name())).findFirst();
                if (p.isPresent()) {
                    // Generated as the target says: the target computes its generated columns (left out of the
                    // COPY), and takes the values of a column it does not generate.
                    byTarget.add(new RowSelection.Projection(p.get().column().asGenerated(t.generated()),
                            p.get().expression()));
                } else if (t.notNull()) {
                    throw JobFailure.badInput("target column " + plan.targetTable() + "." + t.name() + " is NOT NULL"
                            + " and " + plan.source() + "." + plan.table() + " has no such column");
                } else {
                    byTarget.add(new RowSelection.Projection(t, "CAST(NULL AS " + t.type() + ")"));
                    missing.add(t.name());
                }
            }
            if (!missing.isEmpty()) {
                LOG.info(plan.source() + "." + plan.table() + " lacks " + String.join(", ", missing)
                        + " (present in the target): copied as NULL");
            }
            return selection.withProjections(byTarget);
        }

        private RowSelection castToTarget(RowSelection selection, TableShape targetShape) {
            RowSelection out = selection;
            for (RowSelection.Projection p : selection.projections()) {
                Optional<ColumnShape> t = targetShape.column(p.column().name());
                // Only a lossless widening: a cast to a narrower target would round on both sides and hide the loss.
                if (t.isPresent() && !t.get().type().equals(p.column().type()) && TypeWidening.widen(
                        p.column().type(), t.get().type()).filter(w -> w.equals(t.get().type())).isPresent()) {
                    LOG.info("casting " + p.column().name() + " from " + p.column().type() + " to the target's "
                            + t.get().type());
                    out = out.withProjection(p.column().name(), "CAST((" + p.expression() + ") AS " + t.get().type()
                            + ")", t.get());
                }
            }
            return out;
        }

        /** The chunks of a copy and, for a plan made now, the source table's row count it took in the snapshot. */
        private record PlannedChunks(List<Chunk> chunks, OptionalLong countedTableRows) {
        }

        /** The stored plan when there is one (a resumed copy), else a new one, stored before any chunk runs. */
        private PlannedChunks chunkPlan(TableShape shape, RowSelection selection, long tableId) {
            try {
                List<Chunk> stored = chunks.chunks(ledger, tableId);
                if (!stored.isEmpty()) {
                    LOG.info("reusing the stored plan of " + stored.size() + " chunks");
                    return new PlannedChunks(stored, OptionalLong.empty());
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            ChunkPlanner.ChunkPlan chunkPlan;
            long tableRows;
            try (RunSummary.Step step = summary.begin("chunk plan")) {
                tableRows = countRows(RowSelection.of(shape, null));
                chunkPlan = ChunkPlanner.plan(source, shape, tableRows, request.chunking().chunkRows(),
                        request.chunking().keyColumn());
                step.rows(tableRows);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }
            LOG.info("chunk plan: " + chunkPlan.ranges().size() + " chunk(s), " + chunkPlan.method());
            try {
                chunks.plan(ledger, tableId, chunkPlan.ranges(), request.run().runId());
                return new PlannedChunks(chunks.chunks(ledger, tableId), OptionalLong.of(tableRows));
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
        }

        private long countRows(RowSelection selection) throws SQLException {
            try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT count(*) FROM (" + selection.selectSql() + ") AS r")) {
                rs.next();
                return rs.getLong(1);
            }
        }

        /**
         * Runs the chunks on {@code parallelism} workers, each with its own source connection in the exported
         * snapshot and its own target connection. The first failure stops the others taking new chunks.
         */
        private List<ChunkOutcome> runChunks(List<Chunk> todo, RowSelection selection, RowSelection landed,
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
                synchronized (ledger) {
                    tables.progress(ledger, tableId, new TableLedger.Progress(key, parallelism, r.chunksTotal(),
                            r.chunksDone(), r.expectedRows(), r.rows(), r.rowsPerSecond(), r.etaSeconds()));
                }
            } catch (SQLException | RuntimeException e) {
                LOG.log(Level.FINE, "could not store progress", e);
            }
        }

        /** What one chunk landed (its target checksum comes later, from {@link #verifyLandedChunks}). */
        private record ChunkOutcome(long rows, long bytes, Checksum source) {
        }

        /**
         * The target database checksums every landed chunk of the table from the rows its transaction wrote, in
         * one grouped read (split into page ranges, one per connection); matches become "copied", a mismatching
         * chunk's rows are deleted (so a re-run copies it again) and the copy fails naming its key range.
         */
        private void verifyLandedChunks(long tableId, RowSelection landed, int parallelism) {
            List<Chunk> toVerify;
            try {
                toVerify = chunks.chunks(ledger, tableId).stream()
                        .filter(c -> TableLedger.LANDED.equals(c.status())).toList();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            if (toVerify.isEmpty()) {
                return;
            }
            for (Chunk c : toVerify) {
                if (c.targetXid() == null) { // only a ledger edited by hand lacks it
                    throw JobFailure.failed("chunk " + c.chunkNo() + " of " + plan.label() + " is landed without"
                            + " the id of the transaction that wrote it; re-run with --truncate", null);
                }
            }
            TransactionChecksums checksums = new TransactionChecksums(landed);
            List<Long> xids = toVerify.stream().map(c -> TransactionChecksums.xid32(c.targetXid())).toList();
            Map<Long, Checksum> byXid = new java.util.HashMap<>();
            try (RunSummary.Step step = summary.begin("verify (" + toVerify.size() + " chunks, one target read)")) {
                long pages = TargetTable.pages(target, plan.targetTable());
                int parts = (int) Math.max(1, Math.min(parallelism, pages / 64)); // tiny tables: one query
                long width = (pages + parts - 1) / parts;
                ExecutorService pool = parts > 1 ? Executors.newFixedThreadPool(parts - 1, r -> {
                    Thread t = new Thread(r, "verify");
                    t.setDaemon(true);
                    return t;
                }) : null;
                try {
                    List<Future<Map<Long, Checksum>>> others = new ArrayList<>();
                    for (int i = 1; i < parts; i++) {
                        long from = i * width;
                        Long to = i == parts - 1 ? null : (i + 1) * width; // the last range is open above
                        others.add(pool.submit(() -> {
                            Connection c = connections.open(plan.target());
                            try {
                                return checksums.compute(c, xids, from, to);
                            } finally {
                                ConnectionFactory.closeQuietly(c);
                            }
                        }));
                    }
                    TransactionChecksums.merge(byXid, checksums.compute(target, xids, null, parts > 1 ? width : null));
                    for (Future<Map<Long, Checksum>> f : others) {
                        TransactionChecksums.merge(byXid, f.get());
                    }
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof SQLException sql) {
                        throw DatabaseFault.classify(sql, plan.target());
                    }
                    throw cause instanceof RuntimeException re ? re : JobFailure.failed(cause.toString(), cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw JobFailure.failed("interrupted", e);
                } finally {
                    if (pool != null) {
                        pool.shutdownNow();
                    }
                }
                step.rows(byXid.values().stream().mapToLong(Checksum::rows).sum());
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            JobFailure first = null;
            try {
                for (Chunk c : toVerify) {
                    Checksum source = new Checksum(c.rows(), c.sourceChecksum());
                    Checksum stored = byXid.getOrDefault(TransactionChecksums.xid32(c.targetXid()), Checksum.EMPTY);
                    if (stored.equals(source)) {
                        chunks.record(ledger, c.with(TableLedger.COPIED, stored.hex()), request.run().runId(), null,
                                false);
                        continue;
                    }
                    JobFailure failure = mismatch(source, stored, c.range(), "the chunk's rows were removed");
                    removeChunk(c.with(TableLedger.MISMATCH, stored.hex()), failure.getMessage());
                    LOG.warning(failure.getMessage());
                    if (first == null) {
                        first = failure;
                    }
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            if (first != null) {
                throw first;
            }
        }

        /** Deletes the rows a mismatching chunk landed and records the mismatch (atomically if the ledger is here). */
        private void removeChunk(Chunk mismatched, String error) throws SQLException {
            try {
                target.setAutoCommit(false);
                execute(target, "DELETE FROM " + TargetTable.ownRows(target, plan.targetTable()) + " WHERE \"xmin\" = '"
                        + TransactionChecksums.xid32(mismatched.targetXid()) + "'::xid");
                if (plan.ledgerInTarget()) {
                    chunks.record(target, mismatched, request.run().runId(), error, false);
                }
                target.commit();
            } catch (SQLException e) {
                rollbackQuietly(target);
                throw DatabaseFault.classify(e, plan.target());
            } finally {
                target.setAutoCommit(true);
            }
            if (!plan.ledgerInTarget()) {
                chunks.record(ledger, mismatched, request.run().runId(), error, false);
            }
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
                    src = snapshot.attach();
                    sum = snapshot.attach();
                    dst = connections.open(plan.target());
                    dst.setAutoCommit(false);
                    book = connections.open(plan.control());
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
                    rollbackQuietly(dst);
                    throw DatabaseFault.classify(e, plan.target());
                } catch (RuntimeException e) {
                    awaitQuietly(sourceFuture);
                    rollbackQuietly(dst);
                    throw e;
                }
                Checksum sourceChecksum;
                try {
                    sourceChecksum = sourceFuture.get();
                } catch (ExecutionException e) {
                    rollbackQuietly(dst);
                    Throwable cause = e.getCause();
                    if (cause instanceof SQLException sql) {
                        throw DatabaseFault.classify(sql, plan.source());
                    }
                    throw cause instanceof RuntimeException re ? re : JobFailure.failed(cause.toString(), cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    awaitQuietly(sourceFuture);
                    rollbackQuietly(dst);
                    throw JobFailure.failed("interrupted", e);
                }
                if (streamed.rows() != sourceChecksum.rows()) {
                    // Rare: checksum what this transaction wrote, for the report, before rolling it back.
                    Checksum targetChecksum;
                    try {
                        targetChecksum = new TableChecksum(landed.withPredicate(
                                "\"xmin\" = pg_catalog.pg_current_xact_id()::xid")).compute(dst);
                    } catch (SQLException e) {
                        rollbackQuietly(dst);
                        throw DatabaseFault.classify(e, plan.target());
                    }
                    rollbackQuietly(dst);
                    progress.discard(streamed.rows(), streamed.bytes());
                    JobFailure failure = mismatch(sourceChecksum, targetChecksum, range, "chunk rolled back");
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
                    rollbackQuietly(dst);
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

        private JobFailure mismatch(Checksum source, Checksum target, KeyRange range, String outcome) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("table", plan.table().toString());
            details.put("rows", source.rows());
            details.put("target_rows", target.rows());
            details.put("checksum", source.hex());
            details.put("target_checksum", target.hex());
            details.put("key_range", range == null ? null : range.toString());
            String where = range == null ? "" : " in key range " + describe(range);
            return JobFailure.verificationFailed("verification failed for " + plan.label() + where + ": source "
                    + RunSummary.count(source.rows()) + " rows / " + source.hex() + ", target "
                    + RunSummary.count(target.rows()) + " rows / " + target.hex()
                    + (outcome == null ? "" : " (" + outcome + ")"), details);
        }

        private String describe(KeyRange range) {
            return range.column() + " [" + (range.lo() == null ? "-inf" : range.lo()) + ", "
                    + (range.hi() == null ? "+inf" : range.hi()) + ")";
        }

        private void addPrimaryKeyIfMissing(TableShape shape, TableShape targetShape) {
            if (targetShape.primaryKeyIfAny().isPresent() || shape.primaryKeyIfAny().isEmpty()) {
                return;
            }
            try {
                if (TargetTable.partitioned(target, plan.targetTable())) {
                    return; // keys of a partitioned table are `tributary schema --phase post-data`'s job
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            List<String> key = shape.primaryKey().columns();
            try (RunSummary.Step step = summary.begin("primary key")) {
                String name = TargetTable.addPrimaryKey(target, plan.targetTable(), key);
                LOG.info("added primary key " + name + " (" + String.join(", ", key) + ")");
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        /** Best effort: the failure being reported matters more than a failure to record it. */
        private void recordFailure(JobFailure failure, long tableId) {
            boolean mismatch = failure.exitCode() == ExitCode.VERIFICATION_FAILED;
            String status = mismatch ? TableLedger.MISMATCH : TableLedger.FAILED;
            Map<String, Object> d = failure.details();
            Long rows = d.get("rows") instanceof Long l ? l : null;
            String sourceChecksum = (String) d.get("checksum");
            String targetChecksum = (String) d.get("target_checksum");
            try {
                synchronized (ledger) {
                    tables.fail(ledger, plan.key(), request.run().runId(), status, failure.getMessage(), rows,
                            sourceChecksum, targetChecksum);
                    audit.append(ledger, request.run(), "copy.failed", detail("status", status, "exit_code",
                            failure.exitCode().code(), "error", failure.getMessage(), "key_range", d.get("key_range")));
                }
            } catch (SQLException | RuntimeException e) {
                LOG.warning("could not record the failure in the ledger: " + e.getMessage());
            }
        }

        /** The snapshot every row was read in, for the result; on the coordinator, idle once the chunks are done. */
        private CopyResult.SourceSnapshot readIn() {
            return new CopyResult.SourceSnapshot(snapshot.id(), snapshot.imported(), snapshot.visibleTransactions());
        }

        private void endSourceSnapshot() {
            try {
                snapshot.end();
            } catch (JobFailure e) {
                LOG.log(Level.FINE, "ending the source snapshot failed after a successful copy", e);
            }
        }

        /** The audit detail: which movement, plus key/value pairs (values may be null). */
        private Map<String, Object> detail(Object... keyValues) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("source", plan.source());
            detail.put("table", plan.table().toString());
            detail.put("target", plan.target());
            detail.put("target_table", plan.targetTable().toString());
            for (int i = 0; i + 1 < keyValues.length; i += 2) {
                detail.put((String) keyValues[i], keyValues[i + 1]);
            }
            return detail;
        }

        private double seconds() {
            return Math.round((System.nanoTime() - startedNanos) / 1e6) / 1e3;
        }
    }

    /**
     * What a copy selects from its source, as a hash of the SELECT it streams: columns and their types, key
     * offsets, remapped references (key_map inlined, sorted), losing duplicates left out. Before the casts to the
     * target's types, which change no value.
     *
     * <p>A table without inheritance children selects the same rows with or without ONLY, so its fingerprint is taken
     * over the SELECT without it: copies recorded before reads used ONLY stay valid. An inheritance parent's is not:
     * such a copy carried its children's rows, and is refused until replaced with {@code --truncate}.
     */
    static String fingerprint(RowSelection selection, boolean inheritanceParent, String snapshot) {
        String sql = selection.selectSql();
        if (!inheritanceParent) {
            sql = sql.replace(" FROM " + selection.source().readFrom(), " FROM " + selection.source().table().quoted());
        }
        if (snapshot != null) {
            // A copy in a given snapshot (a follower's start point) also fingerprints it: rows copied in another one
            // must not be skipped or resumed, or the follower would repeat or miss the changes in between.
            sql += "\nin snapshot " + snapshot;
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(sql.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
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

    private static void rollbackQuietly(Connection connection) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "rollback failed", e);
        }
    }
}
