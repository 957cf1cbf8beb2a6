package io.tributary.archive;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ControlSchema;
import io.tributary.parquet.ParquetColumn;
import io.tributary.parquet.ParquetExport;
import io.tributary.parquet.TypeMapping;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.result.ResultWriter;
import io.tributary.result.RunSummary;
import io.tributary.s3.LifecycleRule;
import io.tributary.s3.MultipartUpload;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.ClientSideEncryption;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3IOException;
import io.tributary.s3.S3Location;
import io.tributary.source.PostgresSnapshot;
import io.tributary.verify.Checksum;
import io.tributary.verify.TableChecksum;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * {@code tributary archive} for one table: in one REPEATABLE READ READ ONLY snapshot of the source, the source
 * database counts and checksums the rows, the DDL is read from its catalog, and the rows stream into ZSTD
 * Parquet objects under the archive's run folder (multipart uploads, SSE, tags, storage class). Then the catalog
 * entry goes to the control schema and next to the data, the lifecycle rule is put on the prefix, and the
 * objects are read back and checksummed by PostgreSQL ({@link ArchiveReadBack}). Nothing in the source is
 * modified unless {@link ArchiveRequest#dropSource()} ({@link SourceDrop}).
 */
public final class TableArchive {
    /** The object tag the lifecycle rule of an archive's retention matches on. */
    static final String RETENTION_TAG = "retention-days";
    private static final Logger LOG = Logger.getLogger(TableArchive.class.getName());
    static final int PART_BYTES = 8 * 1024 * 1024;
    public static final String CHECKSUM_ALGORITHM = "tributary-checksum-v2: count(*) and"
            + " sum(hash_record_extended(ROW(typed or canonical columns), 0)) mod 2^64";

    private final ConnectionFactory connections;
    private final Map<String, String> env;
    private final RunSummary summary;

    public TableArchive(ConnectionFactory connections, Map<String, String> env, RunSummary summary) {
        this.connections = connections;
        this.env = env;
        this.summary = summary;
    }

    /** What run and preview both start from, the request checked (an undeclared source is bad input). */
    private record Setup(ArchiveSettings settings, String controlId, ControlSchema control, ArchiveCatalog catalog,
            ArchiveLayout layout) {
    }

    private Setup setup(ArchiveRequest request) {
        ArchiveSettings settings = ArchiveSettings.from(request.config());
        String source = request.source();
        if (request.config().source(source).isEmpty()) {
            throw JobFailure.badInput("--source " + source + " is not a declared source in "
                    + request.config().fileName() + " (" + String.join(", ", request.config().sourceIds()) + ")");
        }
        connections.uri(source);
        String controlId = request.config().control().connection();
        connections.uri(controlId);
        ControlSchema control = new ControlSchema(request.config().control().schema());
        return new Setup(settings, controlId, control, new ArchiveCatalog(control),
                ArchiveLayout.of(settings, source, request.table(), request.run().runId()));
    }

    public ArchiveResult run(ArchiveRequest request) throws SQLException, IOException {
        long started = System.nanoTime();
        Setup setup = setup(request);
        ArchiveSettings settings = setup.settings();
        String source = request.source();
        String controlId = setup.controlId();
        ControlSchema control = setup.control();
        ArchiveCatalog catalog = setup.catalog();
        ArchiveLayout layout = setup.layout();

        try (ObjectStore store = ObjectStore.open(env, settings.connection(), settings.clientSideEncryption());
                Connection ctl = connections.open(controlId)) {
            control.ensure(ctl);
            if (store.isS3Compatible()) {
                store.ensureBucket(settings.bucket()); // the local stack creates buckets on first use
            } else {
                store.requireBucket(settings.bucket());
            }
            Optional<CatalogEntry> done = catalog.find(ctl, layout.archiveId()).filter(CatalogEntry::verified);
            if (done.isEmpty()) {
                done = unchangedSinceEarlierArchive(catalog, ctl, request);
            }
            CatalogEntry entry;
            String status;
            if (done.isPresent()) {
                entry = done.get();
                status = "skipped";
                LOG.info(request.source() + "." + request.table() + " is already archived and verified as "
                        + entry.archiveId() + (entry.retention().sourceDroppedAt() == null ? " (source unchanged)"
                        : " (source dropped " + entry.retention().sourceDroppedAt() + ")") + ": nothing to write");
            } else {
                entry = write(request, settings, layout, store, ctl, catalog, control);
                status = "archived";
            }
            String dropRefused = null;
            boolean dropped = entry.retention().sourceDroppedAt() != null;
            if (request.dropSource() && !dropped) {
                SourceDrop.Outcome drop = new SourceDrop(connections, summary).drop(request, entry, ctl, catalog, control,
                        store);
                entry = drop.entry();
                dropped = drop.dropped();
                dropRefused = drop.refusedBecause();
            }
            CatalogEntry.Figures archived = entry.checksum().archive();
            return new ArchiveResult(request.table().toString(), source, entry.archiveId(), status,
                    entry.data().location(), entry.data().rows(), entry.checksum().source().checksum(),
                    archived == null ? null : archived.rows(), archived == null ? null : archived.checksum(),
                    entry.verified(), entry.data().bytes(), entry.data().files().size(),
                    entry.storage().storageClass(), entry.storage().encryption() == null ? "none"
                            : entry.storage().encryption(),
                    entry.storage().clientSideEncryption() == null ? null
                            : entry.storage().clientSideEncryption().describe(), entry.storage().lifecycleRule(),
                    entry.retention().retainUntil(), dropped, dropRefused,
                    Math.round((System.nanoTime() - started) / 1e6) / 1e3);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, controlId);
        }
    }

    /**
     * What {@link #run} would do, changing nothing: no bucket, object, lifecycle rule, control schema, catalog or
     * audit row, and the source only read. The same skip rule (already archived and verified, source unchanged);
     * with {@code --drop-source}, whether the drop would go ahead or why not.
     */
    public Map<String, Object> preview(ArchiveRequest request) throws SQLException {
        Setup setup = setup(request);
        ArchiveSettings settings = setup.settings();
        String source = request.source();
        String controlId = setup.controlId();
        ControlSchema control = setup.control();
        ArchiveCatalog catalog = setup.catalog();
        ArchiveLayout layout = setup.layout();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("table", request.table().toString());
        out.put("source", source);
        out.put("status", "dry-run");
        try (ObjectStore store = ObjectStore.open(env, settings.connection(), settings.clientSideEncryption());
                Connection ctl = connections.open(controlId)) {
            boolean recorded = control.exists(ctl);
            Optional<CatalogEntry> done = recorded
                    ? catalog.find(ctl, layout.archiveId()).filter(CatalogEntry::verified) : Optional.empty();
            if (done.isEmpty() && recorded) {
                done = unchangedSinceEarlierArchive(catalog, ctl, request);
            }
            if (done.isPresent()) {
                CatalogEntry entry = done.get();
                out.put("action", "skip");
                out.put("archive_id", entry.archiveId());
                out.put("location", entry.data().location());
                out.put("rows", entry.data().rows());
                if (request.dropSource()) {
                    String refusal = entry.retention().sourceDroppedAt() != null ? "already dropped "
                            + entry.retention().sourceDroppedAt() : SourceDrop.wouldRefuse(entry, store);
                    out.put("drop_source", refusal == null ? "would drop (after comparing the source with the"
                            + " archive under lock)" : "not dropped: " + refusal);
                }
            } else {
                out.put("action", "archive");
                out.put("archive_id", layout.archiveId());
                out.put("location", layout.folder().url());
                long rows = countSourceRows(request);
                out.put("rows", rows);
                out.put("files", Math.max(1, (rows + settings.rowsPerFile() - 1) / settings.rowsPerFile()));
                out.put("storage_class", settings.storageClass());
                out.put("encryption", settings.encryptionLabel());
                out.put("retain_until", LocalDate.now(ZoneOffset.UTC).plusDays(settings.retentionDays()).toString());
                out.put("lifecycle_rule", settings.lifecycle() ? describe(lifecycleRule(settings, layout)) : null);
                if (request.dropSource()) {
                    out.put("drop_source", "not dropped on this run: the source is kept "
                            + settings.dropSourceHoldDays() + " days (drop_source_hold_days) after the verified archive");
                }
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, controlId);
        }
        LOG.info("dry run: would " + out.get("action") + " " + source + "." + request.table() + " ("
                + out.get("rows") + " rows) at " + out.get("location") + "; nothing was changed");
        return out;
    }

    private long countSourceRows(ArchiveRequest request) {
        try (Connection src = connections.open(request.source())) {
            TableShape shape = new CatalogReader().read(src, request.table()).orElseThrow(() -> JobFailure.badInput(
                    "table " + request.table() + " does not exist in " + request.source()));
            try (Statement st = src.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM " + shape.readFrom())) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, request.source());
        }
    }

    /**
     * A verified archive from an earlier run that still matches the source (same count and checksum, computed by
     * the source now), or whose source was dropped after it: archiving again would only duplicate it, and the
     * drop hold runs from that first archive.
     */
    private Optional<CatalogEntry> unchangedSinceEarlierArchive(ArchiveCatalog catalog, Connection ctl,
            ArchiveRequest request) throws SQLException {
        Optional<CatalogEntry> latest = catalog.latestVerified(ctl, request.source(), request.table().schema(),
                request.table().name());
        if (latest.isEmpty()) {
            return latest;
        }
        PostgresSnapshot snapshot = PostgresSnapshot.open(connections, request.source());
        Connection src = snapshot.connection();
        try {
            Optional<TableShape> shape = new CatalogReader().read(src, request.table());
            if (shape.isEmpty()) {
                if (latest.get().retention().sourceDroppedAt() != null) {
                    return latest;
                }
                throw JobFailure.badInput("table " + request.table() + " does not exist in " + request.source());
            }
            Checksum now;
            try (RunSummary.Step step = summary.begin("compare with " + latest.get().archiveId())) {
                now = new TableChecksum(RowSelection.of(shape.get(), null), latest.get().checksum().dialect())
                        .compute(src);
                step.rows(now.rows());
            }
            snapshot.end();
            CatalogEntry.Figures archived = latest.get().checksum().source();
            boolean same = now.rows() == archived.rows() && now.hex().equals(archived.checksum());
            if (!same) {
                LOG.info(request.source() + "." + request.table() + " changed since " + latest.get().archiveId()
                        + ": archiving it again");
            }
            return same ? latest : Optional.empty();
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, request.source());
        } finally {
            snapshot.close();
        }
    }

    private CatalogEntry write(ArchiveRequest request, ArchiveSettings settings, ArchiveLayout layout,
            ObjectStore store, Connection ctl, ArchiveCatalog catalog, ControlSchema control)
            throws SQLException, IOException {
        String source = request.source();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        LocalDate retainUntil = now.atZone(ZoneOffset.UTC).toLocalDate().plusDays(settings.retentionDays());
        Map<String, String> tags = new LinkedHashMap<>();
        if (settings.objectTags()) {
            tags.put("class", request.tableClass());
            tags.put("source-instance", source);
            tags.put("run-id", layout.runSegment());
            tags.put("retain-until", retainUntil.toString());
            tags.put(RETENTION_TAG, String.valueOf(settings.retentionDays()));
        }
        ObjectOptions finalOptions = new ObjectOptions(settings.encryption(), settings.kmsKeyId(), tags,
                settings.storageClass());
        // Objects in GLACIER / DEEP_ARCHIVE cannot be read back without an S3 restore (hours): they are written
        // STANDARD, verified, then moved to their class by a server-side copy.
        boolean thaw = ArchiveSettings.needsRestore(settings.storageClass());
        ObjectOptions dataOptions = thaw
                ? new ObjectOptions(settings.encryption(), settings.kmsKeyId(), tags, null) : finalOptions;
        // catalog.json stays STANDARD: search and restore read it even when the data sits in GLACIER.
        ObjectOptions catalogOptions = new ObjectOptions(settings.encryption(), settings.kmsKeyId(), tags, null);

        // A failed earlier attempt of this run may have left parts behind: the folder is this run's own.
        for (var leftover : store.list(layout.folder())) {
            store.delete(new S3Location(settings.bucket(), leftover.key()));
        }
        store.abortIncompleteUploads(layout.folder()); // a killed attempt's uploads: never objects, still billed

        // Shape, DDL, checksum and every Parquet row come from one snapshot of the source.
        PostgresSnapshot snapshot = PostgresSnapshot.open(connections, source);
        Connection src = snapshot.connection();
        TableShape shape;
        Checksum sourceFigures;
        ArchivedDdl ddl;
        String database;
        String serverVersion;
        List<ParquetColumn> columns;
        ParquetExport.Result written;
        try {
            try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT pg_catalog.current_database(), pg_catalog.current_setting('server_version')")) {
                rs.next();
                database = rs.getString(1);
                serverVersion = rs.getString(2);
            }
            shape = new CatalogReader().read(src, request.table()).orElseThrow(() -> JobFailure.badInput(
                    "table " + request.table() + " does not exist in " + source));
            ddl = ArchivedDdl.capture(src, shape);
            columns = TypeMapping.forArchive().map(request.table().toString(), shape.columns());
            try (RunSummary.Step step = summary.begin("source checksum")) {
                sourceFigures = new TableChecksum(RowSelection.of(shape, null)).compute(src);
                step.rows(sourceFigures.rows());
            }
            int files = (int) Math.max(1, (sourceFigures.rows() + settings.rowsPerFile() - 1) / settings.rowsPerFile());
            String select = "SELECT " + columns.stream().map(ParquetColumn::selectSql).collect(Collectors.joining(", "))
                    + " FROM " + shape.readFrom();
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("tributary.archive_id", layout.archiveId());
            metadata.put("tributary.source", source + "." + request.table());
            metadata.put("tributary.postgres_types", ResultWriter.json().writeValueAsString(
                    shape.columns().stream().map(c -> List.of(c.name(), c.type())).toList()));
            List<MultipartUpload> uploads = new ArrayList<>();
            try (RunSummary.Step step = summary.begin("write parquet to s3")) {
                written = ParquetExport.write(src, select, columns, ParquetExport.split(sourceFigures.rows(), files),
                        CompressionCodecName.ZSTD, metadata, i -> {
                            MultipartUpload upload = store.upload(layout.part(i), dataOptions, PART_BYTES);
                            uploads.add(upload);
                            return upload;
                        }, request.table().toString());
                step.rows(written.rows());
            } catch (IOException | SQLException | RuntimeException e) {
                uploads.forEach(MultipartUpload::abort); // a failed file leaves no object and no billed parts
                if (e instanceof S3IOException s3) {
                    throw s3.failure();
                }
                throw e;
            }
            snapshot.end();
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, source);
        } finally {
            snapshot.close();
        }
        LOG.info(String.format("%s.%s: %s rows in %d file(s), %s bytes under %s", source, request.table(),
                RunSummary.count(written.rows()), written.files().size(), RunSummary.count(written.bytes()),
                layout.folder()));

        String lifecycleRule = null;
        String lifecycleId = null;
        if (settings.lifecycle()) {
            LifecycleRule rule = lifecycleRule(settings, layout);
            try (RunSummary.Step step = summary.begin("lifecycle rule")) {
                store.putLifecycleRule(settings.bucket(), rule);
                store.putLifecycleRule(settings.bucket(), abortIncompleteUploadsRule(settings, layout));
            }
            lifecycleId = rule.id();
            lifecycleRule = describe(rule);
        }

        List<CatalogEntry.Column> catalogColumns = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            var c = shape.columns().get(i);
            catalogColumns.add(new CatalogEntry.Column(c.name(), c.type(), c.notNull(), parquetType(columns.get(i))));
        }
        List<CatalogEntry.DataFile> files = written.files().stream()
                .map(f -> new CatalogEntry.DataFile(layout.part(f.index()).key(), f.rows(), f.bytes())).toList();
        String at = now.toString();
        CatalogEntry entry = new CatalogEntry(CatalogEntry.FORMAT, layout.archiveId(), CatalogEntry.WRITTEN,
                new CatalogEntry.Source(source, database, request.table().schema(), request.table().name(), serverVersion),
                new CatalogEntry.Lineage(source, request.table().toString(), request.run().runId(), request.run().actor(),
                        request.run().airflowDagId(), request.run().airflowRunId(), at),
                new CatalogEntry.Classification(request.tableClass(), request.reasons()),
                catalogColumns, shape.primaryKeyIfAny().map(TableShape.PrimaryKey::columns).orElse(List.of()), ddl,
                new CatalogEntry.Data(layout.folder().url(), "parquet", "ZSTD", written.rows(), written.bytes(), files),
                new CatalogEntry.Checksums(CHECKSUM_ALGORITHM, new CatalogEntry.Figures(sourceFigures.rows(),
                        sourceFigures.hex(), at), null, null),
                new CatalogEntry.Storage(settings.bucket(), settings.encryption(), settings.kmsKeyId(),
                        settings.storageClass(), tags, lifecycleId, lifecycleRule, settings.clientSideEncryption()),
                new CatalogEntry.Retention(settings.retentionDays(), retainUntil.toString(), settings.dropSourceHoldDays(),
                        now.plus(settings.dropSourceHoldDays(), ChronoUnit.DAYS).toString(), null, null),
                new CatalogEntry.Restore("tributary restore --entry " + shellWord(layout.archiveId())
                        + " --target <connection id> [--target-table <schema.table>]", "tributary_restore", thaw,
                        restoreSteps(thaw, settings.clientSideEncryption())));
        saveEverywhere(entry, store, catalogOptions, ctl, catalog);

        CatalogEntry.Figures readBack;
        try (RunSummary.Step step = summary.begin("read back + checksum")) {
            readBack = new ArchiveReadBack(store).checksum(ctl, entry);
            step.rows(readBack.rows());
        } catch (IOException | SQLException | RuntimeException e) {
            if (!(e instanceof JobFailure f && f.exitCode() == ExitCode.VERIFICATION_FAILED)) {
                unwrite(entry, store, ctl, catalog); // not verified, not kept: the re-run writes it again
            }
            throw e;
        }
        boolean ok = readBack.rows() == sourceFigures.rows() && readBack.checksum().equals(sourceFigures.hex());
        if (ok && thaw) {
            try (RunSummary.Step step = summary.begin("move to " + settings.storageClass())) {
                for (CatalogEntry.DataFile f : files) {
                    store.changeStorageClass(new S3Location(settings.bucket(), f.key()), finalOptions);
                }
            }
        }
        entry = entry.withVerification(readBack, ok);
        saveEverywhere(entry, store, catalogOptions, ctl, catalog);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("archive_id", entry.archiveId());
        detail.put("source", source + "." + request.table());
        detail.put("location", entry.data().location());
        detail.put("rows", sourceFigures.rows());
        detail.put("source_checksum", sourceFigures.hex());
        detail.put("archive_checksum", readBack.checksum());
        detail.put("verified", ok);
        new AuditLog(control).append(ctl, request.run(), "archive", detail);
        if (!ok) {
            Map<String, Object> details = new LinkedHashMap<>(detail);
            details.put("archive_rows", readBack.rows());
            throw JobFailure.verificationFailed(source + "." + request.table() + ": the archive read back ("
                    + readBack.rows() + " rows, " + readBack.checksum() + ") differs from the source ("
                    + sourceFigures.rows() + " rows, " + sourceFigures.hex() + "); catalog status mismatch", details);
        }
        return entry;
    }

    /**
     * Takes back an archive whose read-back could not run (a full temp folder, S3 or the control connection lost):
     * first its catalog row, then, only if that went, its objects, so a catalog entry never points at nothing.
     */
    private static void unwrite(CatalogEntry entry, ObjectStore store, Connection ctl, ArchiveCatalog catalog) {
        try {
            catalog.forgetUnverified(ctl, entry.archiveId());
            S3Location folder = S3Location.parse(entry.data().location(), "catalog location");
            for (var object : store.list(folder)) {
                store.delete(new S3Location(folder.bucket(), object.key()));
            }
            LOG.info(entry.archiveId() + " was not verified: its catalog entry and objects are removed");
        } catch (SQLException | RuntimeException e) {
            LOG.warning("could not remove the unverified archive " + entry.archiveId() + " (the re-run replaces it): "
                    + e.getMessage());
        }
    }

    /** The entry into the control schema and, as catalog.json, next to its data. */
    static void saveEverywhere(CatalogEntry entry, ObjectStore store, ObjectOptions options, Connection ctl,
            ArchiveCatalog catalog) throws SQLException {
        S3Location object = S3Location.parse(entry.data().location(), "catalog location").resolve(CatalogEntry.FILE_NAME);
        store.put(object, entry.toJson().getBytes(StandardCharsets.UTF_8), "application/json", options);
        catalog.save(ctl, entry);
    }

    /**
     * Transition (optional) and expiry after the retention period, for the archives under the prefix that were
     * written with this retention (their {@value #RETENTION_TAG} tag). One rule per retention value: lowering
     * the retention later adds a rule for new archives and never shortens an existing one.
     */
    /** Days after which parts of an archive upload a killed worker left behind are removed (and no longer billed). */
    static final int ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

    private static String ruleIdPrefix(ArchiveSettings settings) {
        return "tributary-archive" + (settings.prefix().isEmpty() ? "" : "-" + settings.prefix()
                .replaceAll("[^A-Za-z0-9._-]", "-"));
    }

    static LifecycleRule abortIncompleteUploadsRule(ArchiveSettings settings, ArchiveLayout layout) {
        return LifecycleRule.abortIncompleteUploads(ruleIdPrefix(settings) + "-abort-incomplete-uploads",
                layout.lifecyclePrefix(), ABORT_INCOMPLETE_UPLOADS_DAYS);
    }

    static LifecycleRule lifecycleRule(ArchiveSettings settings, ArchiveLayout layout) {
        String id = ruleIdPrefix(settings) + "-retain-" + settings.retentionDays() + "d";
        int transitionDays = settings.transitionDays() == null ? 0 : settings.transitionDays();
        return new LifecycleRule(id, layout.lifecyclePrefix(),
                Map.of(RETENTION_TAG, String.valueOf(settings.retentionDays())), transitionDays,
                settings.transitionStorageClass(), settings.retentionDays());
    }

    static String describe(LifecycleRule rule) {
        String scope = "objects under '" + rule.prefix() + "'" + (rule.tags().isEmpty() ? ""
                : " tagged " + rule.tags().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(java.util.stream.Collectors.joining(", ")));
        String transition = rule.transitionStorageClass() == null ? ""
                : " move to " + rule.transitionStorageClass() + " after " + rule.transitionDays() + " days;";
        return scope + ":" + transition + " expire after " + rule.expirationDays() + " days";
    }

    static String parquetType(ParquetColumn column) {
        var primitive = column.field().asPrimitiveType();
        var logical = primitive.getLogicalTypeAnnotation();
        return primitive.getPrimitiveTypeName() + (logical == null ? "" : " (" + logical + ")");
    }

    static List<String> restoreSteps(boolean thaw, ClientSideEncryption cse) {
        List<String> steps = new ArrayList<>();
        if (thaw) {
            steps.add("The Parquet objects are in an archive storage class: S3 must restore them first"
                    + " (tributary restore --thaw-only asks for it and reports progress; hours for GLACIER).");
        }
        if (cse != null) {
            steps.add("The Parquet objects are client-side encrypted (storage.client_side_encryption): read them"
                    + " through the Amazon S3 Encryption Client (v3) with the " + cse.describe() + " keyring;"
                    + (ClientSideEncryption.KMS.equals(cse.keyring()) ? " the reader needs kms:Decrypt on that key."
                    : " tributary restore reads the master key from that variable only."));
        }
        steps.add("Create the enums/domains (ddl.types) and the table (ddl.create_table) under the chosen name.");
        steps.add("Load every data.files object (Parquet; each column's PostgreSQL type is in columns[].type).");
        steps.add("Add ddl.constraints (not foreign keys) and ddl.indexes after the data.");
        steps.add("Compute the checksum (checksum.algorithm) on the restored table: it must equal checksum.source.");
        return steps;
    }

    /** A word a shell reads back as it is (the restore hint is copied to a shell): single-quoted when it must be. */
    static String shellWord(String word) {
        return word.matches("[A-Za-z0-9._/%=:,+@-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
