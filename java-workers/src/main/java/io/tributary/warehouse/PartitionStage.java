package io.tributary.warehouse;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.RunContext;
import io.tributary.ledger.RunLedger;
import io.tributary.parquet.ParquetColumn;
import io.tributary.parquet.ParquetExport;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.s3.MultipartUpload;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3IOException;
import io.tributary.s3.S3Location;
import io.tributary.source.PostgresSnapshot;
import io.tributary.verify.Checksum;
import io.tributary.verify.ChecksumDialect;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * {@code tributary stage}: one partition of a broker table from PostgreSQL to Parquet files on S3, plus a
 * Redshift manifest and a receipt. The source side is one REPEATABLE READ READ ONLY snapshot in which the
 * source database counts and checksums the partition (portable hash, target shape) and the files are
 * streamed from; so the figures describe exactly the staged rows. Re-running overwrites the same keys and
 * removes files a previous run left under the prefix: the manifest lists exactly the files written.
 */
public final class PartitionStage {
    /** The source is PostgreSQL: its literals are PostgreSQL's. */
    private static final WarehouseDialect SOURCE_SQL = new PostgresDialect();
    private static final Logger LOG = Logger.getLogger(PartitionStage.class.getName());
    /** Parquet with ZSTD is typically ~3x smaller than the PostgreSQL heap: used only to choose a file count. */
    static final double HEAP_TO_PARQUET = 3.0;

    public record Request(MigrationConfig config, String source, TableRef table, String prefix,
            String partitionColumn, String from, String to, RunContext run, boolean incremental, TableRef targetTable,
            boolean dryRun) {

        public Request(MigrationConfig config, String source, TableRef table, String prefix, String partitionColumn,
                String from, String to, RunContext run, boolean incremental, TableRef targetTable) {
            this(config, source, table, prefix, partitionColumn, from, to, run, incremental, targetTable, false);
        }

        public Request(MigrationConfig config, String source, TableRef table, String prefix, String partitionColumn,
                String from, String to, RunContext run) {
            this(config, source, table, prefix, partitionColumn, from, to, run, false, null);
        }
    }

    private final ConnectionFactory connections;
    private final Map<String, String> env;
    private final RunSummary summary;

    public PartitionStage(ConnectionFactory connections, Map<String, String> env, RunSummary summary) {
        this.connections = connections;
        this.env = env;
        this.summary = summary;
    }

    public StageResult run(Request request) throws SQLException, IOException {
        if (request.dryRun()) {
            throw new IllegalArgumentException("a dry run is dryRun(request)");
        }
        return (StageResult) stage(request);
    }

    /**
     * {@code --dry-run}: the real run's decisions (partition, prefix, type mapping and its refusals, the delta past
     * the watermark, the source's figures in one snapshot, the file count), on reads only; it stops where the real
     * run would first write (the bucket), and says what it would write.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> dryRun(Request request) throws SQLException, IOException {
        return (Map<String, Object>) stage(request);
    }

    private Object stage(Request request) throws SQLException, IOException {
        long started = System.nanoTime();
        MigrationConfig config = request.config();
        if (config.source(request.source()).isEmpty()) {
            throw JobFailure.badInput("source '" + request.source() + "' is not declared in " + config.fileName()
                    + " (declared: " + String.join(", ", config.sourceIds()) + ")");
        }
        WarehouseSettings settings = WarehouseSettings.from(config);
        var entry = settings.table(request.source(), request.table());
        String partitionColumn = request.partitionColumn() != null ? request.partitionColumn()
                : entry.map(WarehouseSettings.TableEntry::partitionColumn).orElse(null);
        String watermarkColumn = entry.map(WarehouseSettings.TableEntry::watermarkColumn).orElse(null);
        List<String> key = entry.map(WarehouseSettings.TableEntry::key).orElse(List.of());
        String since = null;
        Partition partition;
        if (request.incremental()) {
            if (request.from() != null || request.to() != null) {
                throw JobFailure.badInput("--incremental stages the rows past the table's watermark: it takes no"
                        + " --from/--to");
            }
            if (watermarkColumn == null || key.isEmpty()) {
                throw JobFailure.badInput("an incremental stage of " + request.source() + "." + request.table()
                        + " needs watermark_column (an updated_at-like column or an increasing key) and key (what"
                        + " the upsert matches on) in its targets.warehouse.tables entry");
            }
            since = storedWatermark(config, request.source(), request.table(),
                    settings.targetTable(request.source(), request.table(), request.targetTable()), request.dryRun());
            partition = Partition.incremental(partitionColumn, null, null, "pending");
        } else {
            partition = Partition.of(partitionColumn, request.from(), request.to());
        }
        String bucket = settings.requireStagingBucket();
        String prefix = request.prefix() != null ? request.prefix()
                : settings.stagingPrefix() + "/" + request.source() + "/" + S3Location.segment(request.table().toString()) + "/"
                        + (request.incremental() ? "incremental" : partition.label().replace(':', '-'));
        S3Location base = new S3Location(bucket, prefix.replaceAll("/+$", ""));
        if (settings.multipartPartMb() < 5) {
            throw JobFailure.badInput("targets.warehouse.multipart_part_mb must be at least 5 (S3's minimum part)");
        }

        // The shape, the figures and every staged row come from one snapshot of the source.
        try (ObjectStore store = ObjectStore.open(env, settings.requireStagingConnection());
                PostgresSnapshot snapshot = PostgresSnapshot.open(connections, request.source())) {
            Connection src = snapshot.connection();
            TableShape shape = new CatalogReader().read(src, request.table()).orElseThrow(() -> JobFailure.badInput(
                    "table " + request.table() + " does not exist in source " + request.source()));
            requireColumn(shape, partition.column(), "partition column");
            requireColumn(shape, watermarkColumn, "watermark column");
            List<ParquetColumn> columns = settings.typeMapping().map(request.table().toString(), shape.columns());
            List<StagedColumn> staged = columns.stream().map(StagedColumn::of).toList();
            String projectionBase = projection(columns, shape);
            String fileSelectBase = fileSelect(columns, shape);

            try (var step = summary.begin("bucket")) {
                if (request.dryRun()) {
                    LOG.info("dry run: the bucket " + bucket + " is neither created nor written");
                } else if (store.isS3Compatible()) {
                    store.ensureBucket(bucket); // the local stack's buckets appear on first use
                } else {
                    store.requireBucket(bucket);
                }
            }

            Checksum figures;
            long heapBytes;
            String watermark = null;
            ParquetExport.Result written;
            List<StageResult.File> files = new ArrayList<>();
            StageReceipt.Delta delta = null;
            String where = partition.where();
            try {
                if (request.incremental()) {
                    // In the snapshot: the delta is (stored watermark, its current maximum]; the rows it touches
                    // (by the partition column) are counted and checksummed too, for the load's re-verification.
                    String wm = Identifiers.quote(watermarkColumn);
                    String after = since == null ? "" : wm + " > " + Identifiers.literal(since);
                    String high = scalar(src, "SELECT max(" + wm + ")::text FROM " + shape.readFrom()
                            + (after.isEmpty() ? "" : " WHERE " + after));
                    where = high == null ? " WHERE 1 = 0"
                            : " WHERE " + (after.isEmpty() ? "" : after + " AND ") + wm + " <= " + Identifiers.literal(high);
                    requireUniqueKey(src, shape, key, where, request.source() + "." + request.table());
                    String touchedFrom = null;
                    String touchedTo = null;
                    if (partitionColumn != null && high != null) {
                        String pc = Identifiers.quote(partitionColumn);
                        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT min(" + pc
                                + ")::text, max(" + pc + ")::text FROM " + shape.readFrom() + where)) {
                            rs.next();
                            touchedFrom = rs.getString(1);
                            touchedTo = rs.getString(2);
                        }
                    }
                    WarehouseDialect.Upsert range = new WarehouseDialect.Upsert(key, partitionColumn, touchedFrom,
                            touchedTo);
                    Checksum touched;
                    try (var step = summary.begin("source checksum (touched range)")) {
                        touched = checksum(src, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(
                                projectionBase + range.touchedWhere(SOURCE_SQL), shapes(staged)));
                        step.rows(touched.rows());
                    }
                    watermark = high != null ? high : since;
                    delta = new StageReceipt.Delta(key, watermarkColumn, since, watermark, partitionColumn,
                            touchedFrom, touchedTo, touched.rows(), touched.hex());
                    partition = Partition.incremental(partitionColumn, Partition.parseDatabaseText(touchedFrom),
                            Partition.parseDatabaseText(touchedTo), String.valueOf(watermark));
                    LOG.info(request.table() + ": rows with " + watermarkColumn + " in (" + since + ", " + high
                            + "], touching " + partitionColumn + " " + touchedFrom + " .. " + touchedTo);
                }
                try (var step = summary.begin("source checksum")) {
                    figures = checksum(src, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(projectionBase + where,
                            staged.stream().map(StagedColumn::postgresShape).toList()));
                    step.rows(figures.rows());
                }
                heapBytes = estimateHeapBytes(src, request.table(), figures.rows());
                if (watermarkColumn != null && !request.incremental()) {
                    watermark = scalar(src, "SELECT max(" + Identifiers.quote(watermarkColumn) + ")::text FROM "
                            + shape.readFrom() + where);
                }
                int fileCount = fileCount(heapBytes, settings.targetFileMb(), settings.slices(), figures.rows());
                LOG.info(request.table() + " partition " + partition.label() + ": " + figures.rows() + " rows, ~"
                        + heapBytes / (1024 * 1024) + " MiB heap -> " + fileCount + " files");
                if (request.dryRun()) {
                    snapshot.end();
                    return preview(request, partition, base, fileCount, figures, staged, watermark, delta);
                }
                store.abortIncompleteUploads(new S3Location(base.bucket(), base.key() + "/")); // a killed stage's
                List<MultipartUpload> uploads = new ArrayList<>();
                int partBytes = settings.multipartPartMb() * 1024 * 1024;
                try (var step = summary.begin("parquet to s3")) {
                    written = ParquetExport.write(src, fileSelectBase + where, columns, ParquetExport.split(figures.rows(), fileCount),
                            settings.compression(), Map.of("tributary.source", request.source(),
                                    "tributary.table", request.table().toString(),
                                    "tributary.partition", partition.label()),
                            index -> {
                                MultipartUpload u = store.upload(base.resolve(fileName(index)), ObjectOptions.NONE,
                                        partBytes);
                                uploads.add(u);
                                return u;
                            }, request.table().toString());
                    step.rows(written.rows());
                } catch (IOException | SQLException | RuntimeException e) {
                    uploads.forEach(MultipartUpload::abort);
                    if (e instanceof S3IOException s3) {
                        throw s3.failure();
                    }
                    throw e;
                }
                snapshot.end();
            } finally {
                if (!src.getAutoCommit()) {
                    src.rollback(); // a failed stage releases the snapshot at once
                }
            }
            for (ParquetExport.FileWritten f : written.files()) {
                files.add(new StageResult.File(base.resolve(fileName(f.index())).url(), f.rows(), f.bytes()));
            }
            written.overLongText().forEach((column, o) -> LOG.warning(request.table() + "." + column + ": " + o.values()
                    + " values longer than the warehouse column (" + o.limitBytes() + " bytes; longest "
                    + o.longestBytes() + "); kept whole, the Redshift load will refuse them"));

            S3Location manifest = base.resolve("manifest");
            S3Location receipt = base.resolve("stage.json");
            StageReceipt stageReceipt = new StageReceipt(request.source(), request.table().toString(),
                    partition.column(), partition.from() == null ? null : partition.from().toString(),
                    partition.to() == null ? null : partition.to().toString(), figures.rows(), figures.hex(),
                    ChecksumDialect.POSTGRES_PORTABLE.hash(), staged, request.run().runId(), delta);
            List<WarehouseLedger.StagedObject> objects = new ArrayList<>();
            try (var step = summary.begin("manifest")) {
                for (StageResult.File f : files) {
                    objects.add(stored(store, f));
                }
                store.put(receipt, stageReceipt.toJson(), "application/json", ObjectOptions.NONE);
                store.put(manifest, new Manifest(files.stream().map(f -> new Manifest.Entry(f.url(), f.bytes()))
                        .toList()).toJson(), "application/json", ObjectOptions.NONE);
                removeLeftovers(store, base, files, manifest, receipt);
            }
            recordLedger(config, request, partition, figures, files.size(), written.bytes(), manifest.url(),
                    stageReceipt, objects);
            double seconds = (System.nanoTime() - started) / 1e9;
            return new StageResult(request.table().toString(), request.source(), partition.label(), partition.column(),
                    partition.from() == null ? null : partition.from().toString(),
                    partition.to() == null ? null : partition.to().toString(), figures.rows(), figures.hex(),
                    ChecksumDialect.POSTGRES_PORTABLE.database(), ChecksumDialect.POSTGRES_PORTABLE.hash(),
                    written.bytes(), Math.round(seconds * 1000) / 1000.0, manifest.url(), receipt.url(), files,
                    settings.slices(), written.overLongText(), watermark, request.run().runId(), delta);
        }
    }

    /**
     * A series of partitions, in turn: each is an ordinary stage (its own snapshot, files under
     * {@code <prefix>/<window key>}, manifest, receipt, ledger row and source figures). Stops at the first failure;
     * the partitions before it stay staged and a re-run stages them again (same objects, same figures).
     */
    public StageSeriesResult runSeries(Request request, List<PartitionWindow> windows) throws SQLException, IOException {
        if (windows.isEmpty()) {
            throw JobFailure.badInput("a series needs at least one --partition");
        }
        if (request.from() != null || request.to() != null) {
            throw JobFailure.badInput("--partition and --from/--to exclude each other (a series or one partition)");
        }
        long started = System.nanoTime();
        WarehouseSettings settings = WarehouseSettings.from(request.config());
        String base = (request.prefix() != null ? request.prefix()
                : settings.stagingPrefix() + "/" + request.source() + "/" + S3Location.segment(request.table().toString()))
                .replaceAll("/+$", "");
        List<StageSeriesResult.Entry> entries = new ArrayList<>();
        List<Checksum> sums = new ArrayList<>();
        long bytes = 0;
        StageResult last = null;
        for (PartitionWindow w : windows) {
            // Each partition keeps its own step table out of the series' summary: one line per partition there.
            StageResult r = new PartitionStage(connections, env, new RunSummary("stage")).run(new Request(
                    request.config(), request.source(), request.table(), base + "/" + w.key(),
                    request.partitionColumn(), w.from(), w.to(), request.run()));
            summary.record(w.key(), r.rows(), r.seconds());
            entries.add(new StageSeriesResult.Entry(w.name(), r.partition(), r.from(), r.to(), r.rows(), r.checksum(),
                    r.bytes(), r.files().size(), r.manifest(), r.watermark()));
            sums.add(new Checksum(r.rows(), r.checksum()));
            bytes += r.bytes();
            last = r;
        }
        Checksum total = Checksum.combine(sums);
        long tableRows;
        try (Connection src = connections.open(request.source()); Statement st = src.createStatement()) {
            TableShape shape = new CatalogReader().read(src, request.table()).orElseThrow(() -> JobFailure.badInput(
                    "table " + request.table() + " does not exist in source " + request.source()));
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + shape.readFrom())) {
                rs.next();
                tableRows = rs.getLong(1);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new StageSeriesResult(request.table().toString(), request.source(), last.partitionColumn(),
                total.rows(), total.hex(), last.dialect(), last.hash(), bytes, Math.round(seconds * 1000) / 1000.0,
                tableRows, tableRows - total.rows(), entries, request.run().runId());
    }

    /** What the source checksums: the staged values, cast to the stand-in's types (a partition WHERE follows). */
    static String projection(List<ParquetColumn> columns, TableShape shape) {
        return "SELECT " + columns.stream()
                .map(c -> "(" + c.selectSql() + ")::" + c.postgresType() + " AS " + Identifiers.quote(c.name()))
                .collect(Collectors.joining(", ")) + " FROM " + shape.readFrom();
    }

    /** What the Parquet files are written from (a partition WHERE follows). */
    static String fileSelect(List<ParquetColumn> columns, TableShape shape) {
        return "SELECT " + columns.stream().map(ParquetColumn::selectSql).collect(Collectors.joining(", ")) + " FROM "
                + shape.readFrom();
    }

    /** The file count: a multiple of the slices, each file near the target size. */
    static int fileCount(long heapBytes, int targetFileMb, int slices, long rows) {
        double parquetBytes = heapBytes / HEAP_TO_PARQUET;
        long perRound = (long) targetFileMb * 1024 * 1024 * slices;
        long rounds = Math.max(1, (long) Math.ceil(parquetBytes / perRound));
        return (int) Math.min(rounds * slices, Math.max(slices, rows)); // never more files than rows (beyond one round)
    }

    static String fileName(int index) {
        return String.format("part-%05d.parquet", index);
    }

    private static void requireColumn(TableShape shape, String column, String what) {
        if (column != null && shape.column(column).isEmpty()) {
            throw JobFailure.badInput(what + " '" + column + "' is not a column of " + shape.table() + " (columns: "
                    + String.join(", ", shape.columnNames()) + ")");
        }
    }

    /**
     * The delta must hold each key once: Redshift's MERGE fails when two staged rows match one target row
     * (r_MERGE), and which of two versions is the right one is not ours to guess. So a duplicate is bad input.
     */
    static void requireUniqueKey(Connection src, TableShape shape, List<String> key, String where, String what)
            throws SQLException {
        for (String k : key) {
            requireColumn(shape, k, "key column");
        }
        String keys = key.stream().map(Identifiers::quote).collect(Collectors.joining(", "));
        String sql = "SELECT count(*), min(k) FROM (SELECT (" + key.stream().map(k -> Identifiers.quote(k) + "::text")
                .collect(Collectors.joining(" || ',' || ")) + ") AS k FROM " + shape.readFrom() + where + " GROUP BY "
                + keys + " HAVING count(*) > 1) AS d";
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            if (rs.getLong(1) > 0) {
                throw JobFailure.badInput("the delta of " + what + " holds "
                        + rs.getLong(1) + " key(s) more than once (e.g. " + String.join(", ", key) + " = "
                        + rs.getString(2) + "): the upsert's MERGE needs one row per key; set"
                        + " targets.warehouse.tables[].key to columns that identify a row");
            }
        }
    }

    private static long estimateHeapBytes(Connection c, TableRef table, long rows) throws SQLException {
        String sql = "SELECT pg_catalog.pg_table_size(c.oid), GREATEST(c.reltuples, 1)::float8 FROM pg_catalog.pg_class c"
                + " WHERE c.oid = " + Identifiers.literal(table.quoted()) + "::regclass";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            double perRow = rs.getLong(1) / rs.getDouble(2);
            return (long) (perRow * rows);
        }
    }

    static Checksum checksum(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            long rows = rs.getLong("row_count");
            BigDecimal sum = rs.getBigDecimal("hash_sum");
            return Checksum.fromSum(rows, sum == null ? BigDecimal.ZERO : sum);
        }
    }

    static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void removeLeftovers(ObjectStore store, S3Location base, List<StageResult.File> files,
            S3Location manifest, S3Location receipt) {
        Set<String> keep = new HashSet<>();
        files.forEach(f -> keep.add(S3Location.parse(f.url(), "file").key()));
        keep.add(manifest.key());
        keep.add(receipt.key());
        for (var o : store.list(new S3Location(base.bucket(), base.key() + "/"))) {
            if (!keep.contains(o.key())) {
                LOG.info("removing " + o.key() + ", left by an earlier stage of this partition");
                store.delete(new S3Location(base.bucket(), o.key()));
            }
        }
    }

    /** The file as S3 stored it (size and ETag), what load checks before reading it. */
    private static WarehouseLedger.StagedObject stored(ObjectStore store, StageResult.File f) {
        S3Location at = S3Location.parse(f.url(), "staged file");
        var head = store.head(at).orElseThrow(() -> JobFailure.retryable("S3: " + at + " is gone right after"
                + " stage wrote it", null));
        if (head.contentLength() != f.bytes()) {
            throw JobFailure.retryable("S3: " + at + " holds " + head.contentLength() + " bytes, stage wrote "
                    + f.bytes() + " (changed meanwhile?)", null);
        }
        return new WarehouseLedger.StagedObject(f.url(), f.bytes(), head.eTag());
    }

    /** The partition's ledger row and the stage's receipt, in one control transaction: load trusts only these. */
    private void recordLedger(MigrationConfig config, Request request, Partition partition, Checksum figures,
            int files, long bytes, String manifest, StageReceipt receipt, List<WarehouseLedger.StagedObject> objects)
            throws SQLException {
        ControlSchema schema = new ControlSchema(config.control().schema());
        try (Connection c = connections.open(config.control().connection())) {
            schema.ensure(c);
            new RunLedger(schema).touch(c, request.run());
            c.setAutoCommit(false);
            try {
                WarehouseLedger ledger = new WarehouseLedger(schema);
                ledger.staged(c, request.source(), request.table().toString(), partition, figures, files, bytes,
                        manifest, request.run());
                ledger.recordStage(c, manifest, receipt, objects, request.run());
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private String storedWatermark(MigrationConfig config, String source, TableRef table, TableRef target,
            boolean readOnly) throws SQLException {
        ControlSchema schema = new ControlSchema(config.control().schema());
        try (Connection c = connections.open(config.control().connection())) {
            if (readOnly) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass("
                        + Identifiers.literal(schema.table("warehouse_watermarks")) + ") IS NULL")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return null; // no control schema yet: no watermark, and a dry run creates nothing
                    }
                }
            } else {
                schema.ensure(c);
            }
            return new WarehouseLedger(schema).watermark(c, source, table.toString(), target.toString()).orElse(null);
        }
    }

    /** What the stage would write, as the dry run's result line. */
    private static Map<String, Object> preview(Request request, Partition partition, S3Location base, int files,
            Checksum figures, List<StagedColumn> staged, String watermark, StageReceipt.Delta delta) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("table", request.table().toString());
        out.put("source", request.source());
        out.put("partition", partition.label());
        out.put("partition_column", partition.column());
        out.put("from", partition.from() == null ? null : partition.from().toString());
        out.put("to", partition.to() == null ? null : partition.to().toString());
        out.put("rows", figures.rows());
        out.put("checksum", figures.hex());
        out.put("files", files);
        out.put("manifest", base.resolve("manifest").url());
        out.put("receipt", base.resolve("stage.json").url());
        out.put("columns", staged);
        out.put("watermark", watermark);
        if (delta != null) {
            out.put("incremental", delta);
        }
        out.put("dry_run", true);
        out.put("run_id", request.run().runId());
        return out;
    }

    static List<ColumnShape> shapes(List<StagedColumn> columns) {
        return columns.stream().map(StagedColumn::postgresShape).toList();
    }
}
