package io.tributary.copy;

import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ChunkLedger;
import io.tributary.ledger.ChunkLedger.Chunk;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.RunLedger;
import io.tributary.ledger.TableLedger;
import io.tributary.ledger.TableLedger.Entry;
import io.tributary.ledger.TableLedger.Outcome;
import io.tributary.merge.MergeProjection;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Logger;

/**
 * What a copy does, decided before and around the data movement: the names a request resolves to, the merge
 * decisions that shape its selection, the re-run policy (skip, resume, refuse, truncate or remove this source's
 * rows), the chunk plan (stored in the chunk ledger, reused on re-run) and the table's ledger entries.
 *
 * <p>A decision is taken by reads only ({@link #decide}), so the dry run shares the rule with the copy.
 */
final class CopyPlanner {
    private static final Logger LOG = Logger.getLogger(CopyPlanner.class.getName());

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

    /**
     * The request with this copy's merge decisions ({@code tributary resolve}'s key offsets, remapped references,
     * settled duplicates) as its selection shaper, when it asks for them; read from the source and the control
     * schema before the copy opens its snapshot.
     */
    static CopyRequest withMergeDecisions(CopyRequest request, Plan plan, ConnectionFactory connections,
            RunSummary summary) {
        if (request.shaper() != CopyRequest.SelectionShaper.MERGE_DECISIONS) {
            return request;
        }
        CopyRequest.SelectionShaper merge;
        try (RunSummary.Step step = summary.begin("merge decisions")) {
            merge = MergeProjection.forCopy(request.config(), connections, plan.source(), plan.table(),
                    request.target());
        }
        return request.withShaper(merge);
    }

    private final CopyAttempt attempt;
    private final CopyRequest request;
    private final Plan plan;
    private final Connection target;
    private final Connection ledger;
    private final TableLedger tables;
    private final ChunkLedger chunks;

    CopyPlanner(CopyAttempt attempt) {
        this.attempt = attempt;
        this.request = attempt.request;
        this.plan = attempt.plan;
        this.target = attempt.target;
        this.ledger = attempt.ledger;
        this.tables = attempt.tables;
        this.chunks = attempt.chunks;
    }

    /** Reads the table's shape in the source snapshot and exports it; a missing table is bad input. */
    TableShape readSource() {
        try (RunSummary.Step step = attempt.summary.begin("source catalog")) {
            TableShape shape = attempt.catalog.read(attempt.source, plan.table()).orElseThrow(() -> JobFailure.badInput(
                    "table " + plan.table() + " does not exist in " + plan.source()));
            // Exported now, while the coordinator is idle: chunk workers attach from their own threads later.
            String id = attempt.snapshot.id();
            LOG.fine(() -> "reading " + plan.source() + " in snapshot " + id);
            return shape;
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
    }

    /** True when the source table is an inheritance parent (a partitioned table's partitions do not count). */
    boolean hasInheritanceChildren() {
        try (PreparedStatement ps = attempt.source.prepareStatement("""
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
    TableShape outputShape(TableShape source, RowSelection selection) {
        TableShape.PrimaryKey key = source.primaryKeyIfAny()
                .filter(pk -> selection.columns().stream().map(c -> c.name()).toList().containsAll(pk.columns()))
                .orElse(null);
        return new TableShape(plan.targetTable(), selection.columns(), key);
    }

    /** What a copy does with its target table; decided by reads only, so the dry run shares the rule. */
    enum Action { COPY, SKIP, TRUNCATE_THEN_COPY, REMOVE_OWN_ROWS_THEN_COPY }

    /** The decision and what it was taken on. */
    record TargetDecision(Action action, Optional<Entry> previous, boolean exists, long targetRows) {
    }

    /**
     * Skip (already copied, same selection), refuse (unaccounted rows, or rows copied with another selection,
     * or a --truncate that would remove other sources' rows), clear (--truncate), else copy. Reads only.
     * {@code ledgerExists}: false on a dry run against a control schema not created yet (no history).
     */
    TargetDecision decide(String fingerprint, boolean ledgerExists) {
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
            List<String> referencing = exists ? TargetTable.referencedBy(target, plan.targetTable()) : List.of();
            if (!referencing.isEmpty()) { // e.g. a filtered re-run after the schema's post-data (or a whole restore)
                throw JobFailure.badInput("--truncate cannot empty " + plan.targetTable() + ": PostgreSQL refuses to"
                        + " TRUNCATE a table other tables' foreign keys reference (" + String.join(", ", referencing)
                        + "). Drop those constraints first (ALTER TABLE ... DROP CONSTRAINT ...), copy again, then"
                        + " re-create them with `tributary schema --phase post-data` of the tables that hold them"
                        + " (--whole --source ID for a source consolidated whole)");
            }
            return new TargetDecision(Action.TRUNCATE_THEN_COPY, previous, exists, targetRows);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
    }

    /** Carries out the decision: the skip's result, or the room made for the copy (empty: copy on). */
    Optional<CopyResult> skipOrMakeRoom(String fingerprint) {
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

    /** True when other sources fill the target table too: a merge's origin column, or their copies in the ledger. */
    boolean severalSourcesFill() {
        List<Entry> others;
        try {
            others = otherSourcesCopied();
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
        return request.shaper().ownRowsInTarget() != null || !others.isEmpty();
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
            attempt.audit.append(ledger, request.run(), "copy.skipped", detail(
                    "rows", entry.rows(), "checksum", entry.sourceChecksum(), "copied_by_run", entry.runId()));
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
        attempt.summary.record("skip (already copied)", entry.rows(), 0);
        return new CopyResult(plan.table().toString(), plan.source(), plan.target(),
                plan.targetTable().toString(), entry.rows(), entry.sourceChecksum(), entry.targetChecksum(),
                entry.verified(), entry.bytes() == null ? 0 : entry.bytes(), attempt.seconds(), CopyResult.SKIPPED,
                null, request.run().runId(), null, null, null, null, null);
    }

    /** Committed at once (own connection), so status shows the copy in flight and counts attempts. */
    long markStarted(String fingerprint) {
        try {
            new RunLedger(plan.controlSchema()).touch(ledger, request.run());
            return tables.begin(ledger, plan.key(), request.run().runId(), fingerprint);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
    }

    /** The copy's verified result, its final progress and its audit entry, once every chunk is copied. */
    void recordCopied(CopyResult result, long tableId, TableLedger.Progress progress, int resumedChunks) {
        try (RunSummary.Step step = attempt.summary.begin("ledger")) {
            tables.finish(ledger, plan.key(), request.run().runId(), new Outcome(result.rows(), result.checksum(),
                    result.targetChecksum(), result.bytes(), attempt.startedAt));
            tables.progress(ledger, tableId, progress);
            attempt.audit.append(ledger, request.run(), "copy", detail("rows", result.rows(), "checksum",
                    result.checksum(), "bytes", result.bytes(), "status", result.status(), "chunks",
                    progress.chunksTotal(), "resumed_chunks", resumedChunks));
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
    }

    /** Best effort: the failure being reported matters more than a failure to record it. */
    void recordFailure(JobFailure failure, long tableId) {
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
                attempt.audit.append(ledger, request.run(), "copy.failed", detail("status", status, "exit_code",
                        failure.exitCode().code(), "error", failure.getMessage(), "key_range", d.get("key_range")));
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warning("could not record the failure in the ledger: " + e.getMessage());
        }
    }

    /** The chunks of a copy and, for a plan made now, the source table's row count it took in the snapshot. */
    record PlannedChunks(List<Chunk> chunks, OptionalLong countedTableRows) {
    }

    /** The stored plan when there is one (a resumed copy), else a new one, stored before any chunk runs. */
    PlannedChunks chunkPlan(TableShape shape, RowSelection selection, long tableId) {
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
        try (RunSummary.Step step = attempt.summary.begin("chunk plan")) {
            tableRows = countRows(RowSelection.of(shape, null));
            chunkPlan = ChunkPlanner.plan(attempt.source, shape, tableRows, request.chunking().chunkRows(),
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

    /** The rows the copy should land: counted by a plan made just now, else counted here, in the snapshot. */
    long expectedRows(PlannedChunks plannedChunks, RowSelection selection) {
        if (plannedChunks.countedTableRows().isPresent() && selection.predicate() == null) {
            // the plan just counted the same rows in the same snapshot
            return plannedChunks.countedTableRows().getAsLong();
        }
        try (RunSummary.Step step = attempt.summary.begin("source rows")) {
            long rows = countRows(selection);
            step.rows(rows);
            return rows;
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
    }

    long countRows(RowSelection selection) throws SQLException {
        try (Statement st = attempt.source.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT count(*) FROM (" + selection.selectSql() + ") AS r")) {
            rs.next();
            return rs.getLong(1);
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
}
