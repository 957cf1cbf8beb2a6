package io.tributary.copy;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
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
import io.tributary.verify.Checksum;
import io.tributary.verify.TableChecksum;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Copies one table from a source PostgreSQL into the target PostgreSQL, verified and recorded.
 *
 * <ol>
 *   <li>The source runs one REPEATABLE READ READ ONLY transaction: its catalog, its checksum and the COPY
 *       all see the same snapshot, so the checksum describes exactly the rows that were streamed.</li>
 *   <li>The target runs one transaction: create the table if absent (or TRUNCATE with --truncate), COPY,
 *       compute the target checksum, add the primary key, record the ledger (when the control schema
 *       lives in the target database) and commit. A kill -9 anywhere leaves nothing half-done.</li>
 *   <li>Idempotent: a table the ledger has as copied, whose target still holds the rows the ledger
 *       accounts for, is skipped.</li>
 * </ol>
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
        Plan plan = plan(request);
        // Resolve every connection first: a missing variable fails before anything is touched.
        connections.uri(plan.source());
        connections.uri(plan.target());
        connections.uri(plan.control());

        Connection source = null;
        Connection target = null;
        Connection ledger = null;
        try {
            try (RunSummary.Step step = summary.begin("connect")) {
                source = connections.open(plan.source());
                target = connections.open(plan.target());
                ledger = connections.open(plan.control());
            }
            return new Attempt(request, plan, source, target, ledger).run();
        } finally {
            ConnectionFactory.closeQuietly(source);
            ConnectionFactory.closeQuietly(target);
            ConnectionFactory.closeQuietly(ledger);
        }
    }

    /** One attempt at one table, over its three connections. */
    private final class Attempt {
        private final CopyRequest request;
        private final Plan plan;
        private final Connection source;
        private final Connection target;
        /** Autocommit connection to the control schema: progress that must survive a rollback. */
        private final Connection ledger;
        /** Where the final ledger update goes: the target transaction itself when the ledger lives there. */
        private final Connection ledgerTx;
        private final TableLedger tables;
        private final ChunkLedger chunks;
        private final AuditLog audit;
        private final long startedNanos = System.nanoTime();
        private final OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);

        Attempt(CopyRequest request, Plan plan, Connection source, Connection target, Connection ledger) {
            this.request = request;
            this.plan = plan;
            this.source = source;
            this.target = target;
            this.ledger = ledger;
            this.ledgerTx = plan.ledgerInTarget() ? target : ledger;
            ControlSchema control = plan.controlSchema();
            this.tables = new TableLedger(control);
            this.chunks = new ChunkLedger(control);
            this.audit = new AuditLog(control);
        }

        CopyResult run() {
            TableShape shape = readSource();
            prepareTarget(shape);
            Optional<CopyResult> skipped = skipOrMakeRoom();
            if (skipped.isPresent()) {
                return skipped.get();
            }
            long tableId = markStarted();
            try {
                CopyResult result = copyAndVerify(shape, tableId);
                if (!plan.ledgerInTarget()) {
                    // The ledger lives elsewhere: record after the target committed (never ahead of it).
                    recordCopied(result, ledger, tableId);
                }
                endSourceSnapshot();
                return result;
            } catch (JobFailure failure) {
                rollbackQuietly(target);
                recordFailure(failure, tableId);
                throw failure;
            } catch (RuntimeException e) {
                rollbackQuietly(target);
                recordFailure(JobFailure.failed(e.toString(), e), tableId);
                throw e;
            }
        }

        /** Opens the source snapshot and reads the table's shape in it; a missing table is bad input. */
        private TableShape readSource() {
            try (RunSummary.Step step = summary.begin("source catalog")) {
                source.setAutoCommit(false);
                execute(source, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                return catalog.read(source, plan.table()).orElseThrow(() -> JobFailure.badInput(
                        "table " + plan.table() + " does not exist in " + plan.source()));
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }
        }

        /**
         * Only now that the input is known good does anything change on the target side: the control
         * schema, shared schemas and types, then the target transaction with its table lock.
         */
        private void prepareTarget(TableShape shape) {
            try (RunSummary.Step step = summary.begin("control schema")) {
                plan.controlSchema().ensure(ledger);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
            try {
                List<UserType> types = catalog.userTypes(source, shape);
                TargetTable.prepareSharedObjects(target, plan.targetTable(), types);
                target.setAutoCommit(false);
                lockTargetTable();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        /** Parallel workers may target the same table (many-to-one); only one may write it at a time. */
        private void lockTargetTable() throws SQLException {
            try (PreparedStatement ps = target.prepareStatement(
                    "SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtextextended(?, 0))")) {
                ps.setString(1, "tributary copy into " + plan.targetTable());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        target.rollback();
                        throw JobFailure.retryable("another worker is copying into " + plan.targetTable()
                                + " in " + plan.target() + " right now; retry later", null);
                    }
                }
            }
        }

        /** Skip (already copied), refuse (unaccounted rows), or TRUNCATE (--truncate); else carry on. */
        private Optional<CopyResult> skipOrMakeRoom() {
            try {
                Optional<Entry> previous = tables.find(ledgerTx, plan.key());
                boolean exists = TargetTable.exists(target, plan.targetTable());
                long targetRows = exists ? TargetTable.rowCount(target, plan.targetTable()) : 0;
                long accounted = tables.copiedRowsInto(ledgerTx, plan.target(), plan.targetTable().toString());
                boolean copied = previous.isPresent() && TableLedger.COPIED.equals(previous.get().status());
                if (copied && !request.truncate() && targetRows == accounted) {
                    return Optional.of(skip(previous.get()));
                }
                if (!request.truncate() && targetRows != accounted) {
                    target.rollback();
                    throw JobFailure.badInput(targetRows > accounted
                            ? "target " + plan.targetTable() + " already holds "
                                    + RunSummary.count(targetRows - accounted)
                                    + " rows not written by this run; pass --truncate to replace them"
                            : "target " + plan.targetTable() + " holds " + RunSummary.count(targetRows)
                                    + " rows but the ledger accounts for " + RunSummary.count(accounted)
                                    + "; pass --truncate to copy it again");
                }
                if (request.truncate() && exists) {
                    refuseTruncatingOtherSources();
                    execute(target, "TRUNCATE " + plan.targetTable().quoted());
                    LOG.info("truncated " + plan.targetTable() + " (" + RunSummary.count(targetRows) + " rows)");
                }
                return Optional.empty();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        private CopyResult skip(Entry entry) throws SQLException {
            LOG.info(plan.label() + ": already copied, nothing to do (" + RunSummary.count(entry.rows())
                    + " rows, checksum " + entry.sourceChecksum() + ", run " + entry.runId() + ")");
            target.rollback();
            audit.append(ledger, request.run(), "copy.skipped", detail(
                    "rows", entry.rows(), "checksum", entry.sourceChecksum(), "copied_by_run", entry.runId()));
            summary.record("skip (already copied)", entry.rows(), 0);
            return new CopyResult(plan.table().toString(), plan.source(), plan.target(),
                    plan.targetTable().toString(), entry.rows(), entry.sourceChecksum(), entry.targetChecksum(),
                    entry.verified(), entry.bytes() == null ? 0 : entry.bytes(), seconds(), CopyResult.SKIPPED,
                    null, request.run().runId());
        }

        /** TRUNCATE would also drop what other sources copied into a shared target table. */
        private void refuseTruncatingOtherSources() throws SQLException {
            for (Entry e : tables.list(ledgerTx, null)) {
                boolean sameTarget = e.key().target().equals(plan.target())
                        && e.key().targetTable().equals(plan.targetTable().toString());
                if (sameTarget && !e.key().equals(plan.key()) && TableLedger.COPIED.equals(e.status())) {
                    target.rollback();
                    throw JobFailure.badInput("--truncate would also remove rows copied into " + plan.targetTable()
                            + " from " + e.key().source() + " " + e.key().sourceTable());
                }
            }
        }

        /** Committed at once (own connection), so status shows the copy in flight and counts attempts. */
        private long markStarted() {
            try {
                new RunLedger(plan.controlSchema()).touch(ledger, request.run());
                long tableId = tables.begin(ledger, plan.key(), request.run().runId());
                chunks.record(ledger, new Chunk(tableId, 0, null, TableLedger.COPYING, null, null, null, null, 0),
                        request.run().runId(), null, true);
                return tableId;
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
            }
        }

        private CopyResult copyAndVerify(TableShape shape, long tableId) {
            RowSelection selection = request.shaper().shape(RowSelection.of(shape, null));
            TableShape outputShape = outputShape(shape, selection);
            Checksum sourceChecksum;
            try (RunSummary.Step step = summary.begin("source checksum")) {
                sourceChecksum = new TableChecksum(selection).compute(source);
                step.rows(sourceChecksum.rows());
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }

            TableShape targetShape;
            try {
                if (!TargetTable.exists(target, plan.targetTable())) {
                    TargetTable.create(target, plan.targetTable(), outputShape);
                }
                targetShape = catalog.read(target, plan.targetTable()).orElseThrow();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            // The target checksum hashes the target's columns in the source's order, so both sides agree.
            RowSelection landed = RowSelection.of(targetShape, outputShape.columnNames(), null,
                    "target table " + plan.targetTable() + " in " + plan.target());

            boolean binary = outputShape.binaryCopySafe();
            String format = binary ? "binary" : "text";
            if (!binary) {
                LOG.info("using text COPY: a column's binary form would carry database-local type OIDs");
            }
            String options = binary ? " (FORMAT binary)" : "";
            CopyStream.Streamed streamed;
            try (RunSummary.Step step = summary.begin("copy (" + format + ")")) {
                streamed = CopyStream.pump(
                        source, plan.source(), "COPY (" + selection.selectSql() + ") TO STDOUT" + options,
                        target, plan.target(),
                        "COPY " + plan.targetTable().quoted() + " (" + landed.columnList() + ") FROM STDIN" + options,
                        new CopyProgress("copy " + plan.label(), sourceChecksum.rows(), request.progressSeconds()));
                step.rows(streamed.rows());
            }
            LOG.info("copied " + RunSummary.count(streamed.rows()) + " rows, "
                    + String.format(Locale.ROOT, "%.1f", streamed.bytes() / 1e6) + " MB");

            Checksum targetChecksum;
            try (RunSummary.Step step = summary.begin("target checksum")) {
                targetChecksum = new TableChecksum(landed).compute(target);
                step.rows(targetChecksum.rows());
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            if (!targetChecksum.equals(sourceChecksum) || streamed.rows() != sourceChecksum.rows()) {
                throw mismatch(sourceChecksum, targetChecksum);
            }

            addPrimaryKeyIfMissing(outputShape, targetShape);
            CopyResult result = new CopyResult(plan.table().toString(), plan.source(), plan.target(),
                    plan.targetTable().toString(), sourceChecksum.rows(), sourceChecksum.hex(), targetChecksum.hex(),
                    true, streamed.bytes(), seconds(), CopyResult.COPIED, format, request.run().runId());
            try (RunSummary.Step step = summary.begin("commit")) {
                if (plan.ledgerInTarget()) {
                    recordCopied(result, ledgerTx, tableId);
                }
                target.commit();
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            LOG.info("verified " + plan.label() + ": " + RunSummary.count(result.rows()) + " rows, checksum "
                    + result.checksum());
            return result;
        }

        /** The target table's shape: the selection's output columns, keeping the source key if all selected. */
        private TableShape outputShape(TableShape source, RowSelection selection) {
            TableShape.PrimaryKey key = source.primaryKeyIfAny()
                    .filter(pk -> selection.columns().stream().map(c -> c.name()).toList().containsAll(pk.columns()))
                    .orElse(null);
            return new TableShape(plan.targetTable(), selection.columns(), key);
        }

        private JobFailure mismatch(Checksum source, Checksum target) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("table", plan.table().toString());
            details.put("rows", source.rows());
            details.put("target_rows", target.rows());
            details.put("checksum", source.hex());
            details.put("target_checksum", target.hex());
            return JobFailure.verificationFailed("verification failed for " + plan.label() + ": source "
                    + RunSummary.count(source.rows()) + " rows / " + source.hex() + ", target "
                    + RunSummary.count(target.rows()) + " rows / " + target.hex() + " (target rolled back)", details);
        }

        private void addPrimaryKeyIfMissing(TableShape shape, TableShape targetShape) {
            if (targetShape.primaryKeyIfAny().isPresent() || shape.primaryKeyIfAny().isEmpty()) {
                return;
            }
            List<String> key = shape.primaryKey().columns();
            try (RunSummary.Step step = summary.begin("primary key")) {
                String name = TargetTable.addPrimaryKey(target, plan.targetTable(), key);
                LOG.info("added primary key " + name + " (" + String.join(", ", key) + ")");
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
        }

        private void recordCopied(CopyResult result, Connection into, long tableId) {
            try {
                tables.finish(into, plan.key(), request.run().runId(), new Outcome(result.rows(), result.checksum(),
                        result.targetChecksum(), result.bytes(), startedAt));
                chunks.record(into, new Chunk(tableId, 0, null, TableLedger.COPIED, result.rows(), result.checksum(),
                        result.targetChecksum(), result.bytes(), 0), request.run().runId(), null, false);
                audit.append(into, request.run(), "copy", detail("rows", result.rows(), "checksum",
                        result.checksum(), "bytes", result.bytes(), "status", result.status()));
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.control());
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
                tables.fail(ledger, plan.key(), request.run().runId(), status, failure.getMessage(), rows,
                        sourceChecksum, targetChecksum);
                chunks.record(ledger, new Chunk(tableId, 0, null, status, rows, sourceChecksum, targetChecksum, null,
                        0), request.run().runId(), failure.getMessage(), false);
                audit.append(ledger, request.run(), "copy.failed", detail(
                        "status", status, "exit_code", failure.exitCode().code(), "error", failure.getMessage()));
            } catch (SQLException | RuntimeException e) {
                LOG.warning("could not record the failure in the ledger: " + e.getMessage());
            }
        }

        private void endSourceSnapshot() {
            try {
                source.commit();
            } catch (SQLException e) {
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

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
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
