package io.tributary.warehouse;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.RunContext;
import io.tributary.ledger.RunLedger;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.verify.Checksum;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code tributary load}: one staged partition into the warehouse, following one {@link LoadPlan} in one
 * transaction. The warehouse counts and checksums the partition after the insert and before the commit; a
 * mismatch with the stage's figures rolls the whole load back (exit 3), so the warehouse never holds an
 * unverified partition. Re-running the same partition deletes and re-inserts exactly it: same rows, same checksum.
 */
public final class PartitionLoad {
    private static final Logger LOG = Logger.getLogger(PartitionLoad.class.getName());

    public record Request(MigrationConfig config, String source, TableRef table, TableRef targetTable,
            String manifest, String partitionColumn, String from, String to, boolean fullReload, String dialect,
            RunContext run, boolean incremental) {

        public Request(MigrationConfig config, String source, TableRef table, TableRef targetTable, String manifest,
                String partitionColumn, String from, String to, boolean fullReload, String dialect, RunContext run) {
            this(config, source, table, targetTable, manifest, partitionColumn, from, to, fullReload, dialect, run,
                    false);
        }
    }

    private final ConnectionFactory connections;
    private final Map<String, String> env;
    private final RunSummary summary;

    public PartitionLoad(ConnectionFactory connections, Map<String, String> env, RunSummary summary) {
        this.connections = connections;
        this.env = env;
        this.summary = summary;
    }

    /** The plan alone (no connection to the warehouse): what {@code --dry-run} prints. */
    public LoadPlan plan(Request request, StageReceipt receipt) {
        return resolve(request, receipt).plan;
    }

    private record Resolved(WarehouseSettings settings, WarehouseDialect dialect, Partition partition,
            TableRef target, LoadPlan plan) {
    }

    private Resolved resolve(Request request, StageReceipt receipt) {
        WarehouseSettings settings = WarehouseSettings.from(request.config());
        WarehouseDialect dialect = WarehouseDialect.named(request.dialect() != null ? request.dialect()
                : settings.dialect());
        var entry = settings.table(request.source(), request.table());
        String partitionColumn = request.partitionColumn() != null ? request.partitionColumn()
                : entry.map(WarehouseSettings.TableEntry::partitionColumn).orElse(receipt.partitionColumn());
        Partition partition;
        StageReceipt.Delta delta = receipt.incremental();
        if (request.incremental() != (delta != null)) {
            throw JobFailure.badInput(delta != null ? "the manifest's stage is incremental (rows past the watermark):"
                    + " load it with --incremental" : "--incremental needs a manifest from `tributary stage"
                    + " --incremental`; this one covers " + (receipt.from() == null ? "the whole table"
                    : receipt.partitionColumn() + " [" + receipt.from() + ", " + receipt.to() + ")"));
        }
        if (delta != null) {
            if (request.fullReload() || request.from() != null || request.to() != null) {
                throw JobFailure.badInput("--incremental upserts the staged delta: it takes no --from/--to or"
                        + " --full-reload");
            }
            partition = Partition.incremental(delta.touchedColumn(), Partition.parseDatabaseText(delta.touchedFrom()),
                    Partition.parseDatabaseText(delta.touchedTo()), String.valueOf(delta.watermarkTo()));
        } else if (request.fullReload()) {
            if (request.from() != null || request.to() != null) {
                throw JobFailure.badInput("--full-reload replaces the whole table: it takes no --from/--to");
            }
            partition = Partition.WHOLE_TABLE;
        } else {
            if (request.from() == null && request.to() == null) {
                throw JobFailure.badInput("say which rows the load replaces: --from/--to (a partition),"
                        + " --full-reload (the whole table) or --incremental (rows past the watermark)");
            }
            partition = Partition.of(partitionColumn, request.from(), request.to());
        }
        // The load must replace exactly what was staged: the same partition.
        String stagedFrom = receipt.from();
        boolean same = delta != null || (partition.wholeTable() ? stagedFrom == null
                : stagedFrom != null && partition.from().toString().equals(stagedFrom)
                        && partition.to().toString().equals(receipt.to())
                        && partition.column().equals(receipt.partitionColumn()));
        if (!same) {
            throw JobFailure.badInput("the manifest's stage covers " + (stagedFrom == null ? "the whole table"
                    : receipt.partitionColumn() + " [" + stagedFrom + ", " + receipt.to() + ")")
                    + ", not the partition asked for (" + partition.label() + ")");
        }
        if (!receipt.table().equals(request.table().toString()) || !receipt.source().equals(request.source())) {
            throw JobFailure.badInput("the manifest was staged from " + receipt.source() + "." + receipt.table()
                    + ", not " + request.source() + "." + request.table());
        }
        TableRef target = request.targetTable() != null ? request.targetTable()
                : entry.map(WarehouseSettings.TableEntry::targetTable).orElse(null);
        if (target == null) {
            target = settings.schema() != null ? request.table().inSchema(settings.schema()) : request.table();
        }
        List<String> key = entry.map(WarehouseSettings.TableEntry::key).orElse(List.of());
        // DISTKEY and SORTKEY are the user's (warehouse.tables[] first, then tables[] rules), never guessed from
        // column names: without one, DISTSTYLE EVEN; the sort key defaults to the time column, then the key.
        MigrationConfig config = request.config();
        String distKey = entry.map(WarehouseSettings.TableEntry::distkey)
                .or(() -> config.tableRule(request.source(), request.table(), "distkey").map(JsonNode::asText))
                .orElse(null);
        List<String> sortKey = new ArrayList<>();
        config.tableRule(request.source(), request.table(), "sortkey").ifPresent(n -> n.forEach(c -> sortKey.add(c.asText())));
        if (sortKey.isEmpty()) {
            if (partition.column() != null) {
                sortKey.add(partition.column());
            } else if (partitionColumn != null) {
                sortKey.add(partitionColumn);
            }
            for (String k : key) {
                if (!sortKey.contains(k)) {
                    sortKey.add(k);
                }
            }
        }
        String watermark = entry.map(WarehouseSettings.TableEntry::watermarkColumn).orElse(null);
        String suffix = HexFormat.of().toHexDigits(
                (request.source() + "|" + request.table() + "|" + partition.label()).hashCode());
        TableRef staging = new TableRef(target.schema(), "stage_" + target.name() + "_" + suffix);
        WarehouseDialect.Upsert upsert = delta == null ? null : new WarehouseDialect.Upsert(delta.key(),
                delta.touchedColumn(), delta.touchedFrom(), delta.touchedTo());
        WarehouseDialect.Target spec = new WarehouseDialect.Target(target, staging, partition, request.manifest(),
                settings.iamRole(), distKey == null ? List.of() : List.of(distKey), sortKey, watermark, upsert);
        return new Resolved(settings, dialect, partition, target, dialect.plan(spec, receipt.columns()));
    }

    /** The plan's SQL on stderr, nothing changed; the result line names the plan's statements. */
    public Map<String, Object> dryRun(Request request) throws SQLException {
        WarehouseSettings settings = WarehouseSettings.from(request.config());
        S3Location manifestLocation = S3Location.parse(request.manifest(), "--manifest");
        try (ObjectStore store = ObjectStore.open(env, settings.requireStagingConnection())) {
            WarehouseLedger.StageRecord staged = recorded(request);
            Resolved r = resolve(request, staged.receipt());
            requireUnchanged(store, manifestLocation, staged, request, r);
            LOG.info("dry run: load plan (" + r.plan().dialect() + ") for " + r.target() + ":\n" + r.plan().script());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("table", request.table().toString());
            result.put("target_table", r.target().toString());
            result.put("dialect", r.plan().dialect());
            result.put("partition", r.partition().label());
            result.put("dry_run", true);
            result.put("statements", r.plan().steps().stream().map(LoadPlan.Step::sql).toList());
            return result;
        }
    }

    /**
     * What {@code stage} recorded for this manifest in the control schema: the only source of the expected figures,
     * the column types and the list of files. Nothing of it is read from the staging bucket, which whoever can write
     * the prefix could change together with the data.
     */
    WarehouseLedger.StageRecord recorded(Request request) throws SQLException {
        ControlSchema schema = new ControlSchema(request.config().control().schema());
        try (Connection c = connections.open(request.config().control().connection())) {
            schema.ensure(c);
            return new WarehouseLedger(schema).stage(c, request.manifest()).orElseThrow(() -> JobFailure.badInput(
                    "no stage of " + request.manifest() + " is recorded in " + schema.table("warehouse_stages")
                            + ": load only what `tributary stage` wrote (it records the figures load verifies"
                            + " against; nothing is taken from the bucket)"));
        }
    }

    /**
     * The bucket still holds exactly what stage wrote: each file with its size and ETag, the manifest (Redshift's
     * COPY reads it) listing exactly those files, the receipt beside it unchanged. Anything else is exit 3 before
     * anything is loaded: the prefix was written by someone else since.
     */
    private static void requireUnchanged(ObjectStore store, S3Location manifestLocation,
            WarehouseLedger.StageRecord staged, Request request, Resolved r) {
        List<String> changes = new ArrayList<>();
        for (WarehouseLedger.StagedObject o : staged.objects()) {
            var head = store.head(S3Location.parse(o.url(), "staged file"));
            if (head.isEmpty()) {
                changes.add(o.url() + " is gone");
            } else if (head.get().contentLength() != o.bytes() || !o.etag().equals(head.get().eTag())) {
                changes.add(o.url() + " was replaced (" + head.get().contentLength() + " bytes, ETag "
                        + head.get().eTag() + "; stage wrote " + o.bytes() + " bytes, ETag " + o.etag() + ")");
            }
        }
        if (store.head(manifestLocation).isEmpty()) {
            changes.add(manifestLocation.url() + " is gone");
        } else if (!Manifest.parse(store.getBytes(manifestLocation), manifestLocation.url()).equals(
                staged.manifest())) {
            changes.add(manifestLocation.url() + " lists other files than stage wrote");
        }
        S3Location receipt = manifestLocation.sibling("stage.json");
        if (store.head(receipt).isEmpty()) {
            changes.add(receipt.url() + " is gone");
        } else if (!staged.receipt().equals(StageReceipt.parse(store.getBytes(receipt), receipt.url()))) {
            changes.add(receipt.url() + " differs from the receipt stage recorded");
        }
        if (!changes.isEmpty()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("table", request.table().toString());
            details.put("target_table", r.target().toString());
            details.put("partition", r.partition().label());
            details.put("changed", changes);
            throw JobFailure.verificationFailed("the staged files of " + request.table() + " changed since `tributary"
                    + " stage` recorded them; nothing was loaded, stage the partition again: "
                    + String.join("; ", changes), details);
        }
    }

    public LoadResult run(Request request) throws SQLException, IOException {
        long started = System.nanoTime();
        WarehouseSettings settings = WarehouseSettings.from(request.config());
        S3Location manifestLocation = S3Location.parse(request.manifest(), "--manifest");
        try (ObjectStore store = ObjectStore.open(env, settings.requireStagingConnection())) {
            WarehouseLedger.StageRecord staged = recorded(request);
            StageReceipt receipt = staged.receipt();
            Manifest manifest = staged.manifest();
            Resolved r = resolve(request, receipt);
            requireUnchanged(store, manifestLocation, staged, request, r);
            Checksum expected = new Checksum(receipt.rows(), receipt.checksum());
            LoadPlan plan = r.plan();
            LOG.info("load plan (" + plan.dialect() + ") for " + r.target() + ", partition " + r.partition().label()
                    + ":\n" + plan.script());
            long bytes = manifest.entries().stream().mapToLong(Manifest.Entry::contentLength).sum();

            Checksum landed;
            Checksum touched = null;
            long deleted;
            String watermark = null;
            try (Connection wh = r.dialect().open(connections, settings.connection())) {
                wh.setAutoCommit(true);
                try (Statement st = wh.createStatement()) {
                    for (LoadPlan.Step step : plan.steps()) {
                        if (step.kind() == LoadPlan.Step.Kind.CREATE_SCHEMA
                                || step.kind() == LoadPlan.Step.Kind.CREATE_TARGET) {
                            st.execute(step.sql());
                        }
                    }
                }
                wh.setAutoCommit(false);
                try (Statement st = wh.createStatement()) {
                    st.execute(plan.step(LoadPlan.Step.Kind.CREATE_STAGING).sql());
                    try (var s = summary.begin("ingest")) {
                        long ingested = r.dialect().ingest(wh, plan, new StagedFiles(store, manifest));
                        if (ingested >= 0) {
                            s.rows(ingested);
                        }
                    }
                    deleted = 0;
                    for (LoadPlan.Step step : plan.steps()) {
                        if (!step.kind().writes()) {
                            continue;
                        }
                        try (var s = summary.begin(step.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '))) {
                            long n = st.executeUpdate(step.sql());
                            s.rows(n);
                            if (step.kind() == LoadPlan.Step.Kind.DELETE_PARTITION
                                    || step.kind() == LoadPlan.Step.Kind.DELETE_KEYS) {
                                deleted += n;
                            }
                        }
                    }
                    try (var s = summary.begin("target checksum")) {
                        landed = PartitionStage.checksum(wh, plan.step(LoadPlan.Step.Kind.CHECKSUM).sql());
                        s.rows(landed.rows());
                    }
                    Checksum touchedExpected = null;
                    if (plan.has(LoadPlan.Step.Kind.CHECKSUM_TOUCHED)) {
                        StageReceipt.Delta d = receipt.incremental();
                        touchedExpected = new Checksum(d.touchedRows(), d.touchedChecksum());
                        try (var s = summary.begin("target checksum (touched range)")) {
                            touched = PartitionStage.checksum(wh, plan.step(LoadPlan.Step.Kind.CHECKSUM_TOUCHED).sql());
                            s.rows(touched.rows());
                        }
                    }
                    boolean touchedOk = touchedExpected == null || touched.equals(touchedExpected);
                    if (!landed.equals(expected) || !touchedOk) {
                        wh.rollback();
                        recordLedger(request, r, expected, landed, false);
                        Map<String, Object> details = new LinkedHashMap<>();
                        details.put("table", request.table().toString());
                        details.put("target_table", r.target().toString());
                        details.put("partition", r.partition().label());
                        details.put("source_rows", expected.rows());
                        details.put("source_checksum", expected.hex());
                        details.put("rows", landed.rows());
                        details.put("checksum", landed.hex());
                        String what = r.target() + " partition " + r.partition().label() + ": the warehouse holds "
                                + landed.rows() + " rows / " + landed.hex() + " after the load, the source staged "
                                + expected.rows() + " / " + expected.hex();
                        if (touchedExpected != null) {
                            details.put("touched_rows", touched.rows());
                            details.put("touched_checksum", touched.hex());
                            details.put("source_touched_rows", touchedExpected.rows());
                            details.put("source_touched_checksum", touchedExpected.hex());
                            what = r.target() + " " + r.partition().label() + ": the upserted delta holds "
                                    + landed.rows() + " / " + landed.hex() + " (staged " + expected.rows() + " / "
                                    + expected.hex() + "), the range it touched " + touched.rows() + " / "
                                    + touched.hex() + " (source " + touchedExpected.rows() + " / "
                                    + touchedExpected.hex() + ")";
                        }
                        throw JobFailure.verificationFailed(what + "; rolled back, nothing changed", details);
                    }
                    if (plan.steps().stream().anyMatch(x -> x.kind() == LoadPlan.Step.Kind.WATERMARK)) {
                        watermark = PartitionStage.scalar(wh, plan.step(LoadPlan.Step.Kind.WATERMARK).sql());
                    }
                    st.execute(plan.step(LoadPlan.Step.Kind.DROP_STAGING).sql());
                    wh.commit();
                } catch (SQLException | IOException | RuntimeException e) {
                    wh.rollback();
                    throw e;
                }
            }
            if (receipt.incremental() != null) {
                watermark = receipt.incremental().watermarkTo(); // the stage's high mark: every row up to it landed
            }
            String mark = recordLedger(request, r, expected, landed, true, watermark);
            double seconds = (System.nanoTime() - started) / 1e9;
            return new LoadResult(request.table().toString(), request.source(), r.target().toString(), plan.dialect(),
                    r.partition().label(), r.partition().column(),
                    r.partition().from() == null ? null : r.partition().from().toString(),
                    r.partition().to() == null ? null : r.partition().to().toString(), landed.rows(), landed.hex(),
                    expected.rows(), expected.hex(), receipt.hash(), true, manifest.entries().size(), bytes, deleted,
                    mark, manifestLocation.url(), Math.round(seconds * 1000) / 1000.0, request.run().runId(),
                    touched == null ? null : new LoadResult.Touched(receipt.incremental().touchedColumn(),
                            receipt.incremental().touchedFrom(), receipt.incremental().touchedTo(), touched.rows(),
                            touched.hex(), receipt.incremental().touchedRows(),
                            receipt.incremental().touchedChecksum()));
        }
    }

    /** One partition of a series: the manifest {@code stage} wrote for it and the window it covers. */
    public record SeriesItem(String manifest, PartitionWindow window) {
    }

    /**
     * A series of staged partitions, in turn, each an ordinary load (its own transaction, verified before COMMIT,
     * its own ledger row). A partition that fails verification is rolled back and the series goes on, so every
     * other partition lands; the call then ends with exit 3 naming the mismatched ones. Any other failure stops
     * the series (the partitions before it are loaded and verified; a re-run replaces them idempotently).
     */
    public LoadSeriesResult runSeries(Request request, List<SeriesItem> items) throws SQLException, IOException {
        if (items.isEmpty()) {
            throw JobFailure.badInput("a series needs at least one --manifest/--partition pair");
        }
        if (request.fullReload() || request.from() != null || request.to() != null) {
            throw JobFailure.badInput("--partition excludes --from/--to and --full-reload (a series or one partition)");
        }
        long started = System.nanoTime();
        List<LoadSeriesResult.Entry> entries = new ArrayList<>();
        List<Checksum> landed = new ArrayList<>();
        List<Checksum> staged = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        String target = null;
        String dialect = null;
        String watermark = null;
        long bytes = 0;
        for (SeriesItem item : items) {
            PartitionWindow w = item.window();
            Request one = new Request(request.config(), request.source(), request.table(), request.targetTable(),
                    item.manifest(), request.partitionColumn(), w.from(), w.to(), false, request.dialect(),
                    request.run());
            try {
                LoadResult r = new PartitionLoad(connections, env, new RunSummary("load")).run(one);
                summary.record(w.key(), r.rows(), r.seconds());
                entries.add(new LoadSeriesResult.Entry(w.name(), r.partition(), r.from(), r.to(), r.rows(),
                        r.checksum(), r.sourceRows(), r.sourceChecksum(), true, r.deletedRows(), r.manifest()));
                landed.add(new Checksum(r.rows(), r.checksum()));
                staged.add(new Checksum(r.sourceRows(), r.sourceChecksum()));
                target = r.targetTable();
                dialect = r.dialect();
                watermark = r.watermark() != null ? r.watermark() : watermark;
                bytes += r.bytes();
            } catch (JobFailure f) {
                if (f.exitCode() != io.tributary.result.ExitCode.VERIFICATION_FAILED) {
                    throw f;
                }
                LOG.warning(w.key() + ": " + f.getMessage());
                Map<String, Object> d = f.details();
                mismatched.add(w.key());
                // a partition refused before loading (its staged files changed) has no figures of its own
                entries.add(new LoadSeriesResult.Entry(w.name(), String.valueOf(d.get("partition")), w.from(), w.to(),
                        d.get("rows") instanceof Number n ? n.longValue() : 0, (String) d.get("checksum"),
                        d.get("source_rows") instanceof Number n ? n.longValue() : 0,
                        (String) d.get("source_checksum"), false, 0, item.manifest()));
                target = String.valueOf(d.get("target_table"));
            }
        }
        Checksum l = Checksum.combine(landed);
        Checksum s = Checksum.combine(staged);
        double seconds = Math.round((System.nanoTime() - started) / 1e6) / 1000.0;
        LoadSeriesResult result = new LoadSeriesResult(request.table().toString(), request.source(), target, dialect,
                l.rows(), l.hex(), s.rows(), s.hex(), mismatched.isEmpty(), bytes, seconds, watermark, entries,
                request.run().runId());
        if (!mismatched.isEmpty()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("table", request.table().toString());
            details.put("target_table", target);
            details.put("mismatched", mismatched);
            details.put("partitions", entries);
            throw JobFailure.verificationFailed(mismatched.size() + " of " + items.size() + " partitions of "
                    + request.table() + " did not verify and were rolled back: " + String.join(", ", mismatched)
                    + "; the other partitions landed verified", details);
        }
        return result;
    }

    private void recordLedger(Request request, Resolved r, Checksum expected, Checksum landed, boolean verified)
            throws SQLException {
        recordLedger(request, r, expected, landed, verified, null);
    }

    private String recordLedger(Request request, Resolved r, Checksum expected, Checksum landed, boolean verified,
            String watermark) throws SQLException {
        MigrationConfig config = request.config();
        ControlSchema schema = new ControlSchema(config.control().schema());
        WarehouseLedger ledger = new WarehouseLedger(schema);
        try (Connection c = connections.open(config.control().connection())) {
            schema.ensure(c);
            new RunLedger(schema).touch(c, request.run());
            ledger.loaded(c, request.source(), request.table().toString(), r.partition(), r.target().toString(),
                    r.plan().dialect(), expected, landed, verified, request.manifest(), request.run());
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("source", request.source());
            detail.put("table", request.table().toString());
            detail.put("target_table", r.target().toString());
            detail.put("partition", r.partition().label());
            detail.put("rows", landed.rows());
            detail.put("verified", verified);
            new AuditLog(schema).append(c, request.run(), "warehouse load", detail);
            var entry = r.settings().table(request.source(), request.table());
            String column = entry.map(WarehouseSettings.TableEntry::watermarkColumn).orElse(null);
            if (verified && column != null && watermark != null) {
                return ledger.advanceWatermark(c, request.source(), request.table().toString(), r.target().toString(),
                        column, watermark, request.run());
            }
            return watermark;
        }
    }
}
