package io.tributary.archive;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ControlSchema;
import io.tributary.parquet.ParquetCopyIn;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.verify.Checksum;
import io.tributary.verify.ChecksumDialect;
import io.tributary.verify.TableChecksum;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code tributary restore}: a catalog entry back into a PostgreSQL table. Objects in an archive storage class
 * are thawed first (S3 RestoreObject, then polling HEAD until readable). The table is created from the archived
 * DDL under the chosen name, loaded, given its keys and indexes, and checksummed by the target database; it is
 * committed only when count and checksum equal the source's figures in the catalog.
 */
public final class TableRestore {
    private static final Logger LOG = Logger.getLogger(TableRestore.class.getName());

    private final ConnectionFactory connections;
    private final Map<String, String> env;
    private final RunSummary summary;

    public TableRestore(ConnectionFactory connections, Map<String, String> env, RunSummary summary) {
        this.connections = connections;
        this.env = env;
        this.summary = summary;
    }

    public RestoreResult run(RestoreRequest r) throws SQLException, IOException {
        long started = System.nanoTime();
        return withEntry(r, (entry, store, ctl, control) -> restore(r, entry, store, ctl, control, started));
    }

    /**
     * What {@link #run} would do, changing nothing (no S3 restore requested, no table created): the entry, how
     * many of its objects are readable now, and whether the target table would be created, is already there with
     * exactly the archived rows (skip), or would be refused; the DDL that would run.
     */
    public Map<String, Object> preview(RestoreRequest r) throws SQLException, IOException {
        return withEntry(r, (entry, store, ctl, control) -> preview(r, entry, store));
    }

    private Map<String, Object> preview(RestoreRequest r, CatalogEntry entry, ObjectStore store) {
        List<S3Location> objects = entry.data().files().stream()
                .map(f -> new S3Location(entry.storage().bucket(), f.key())).toList();
        int readable = (int) objects.stream().filter(store::readable).count();
        TableRef archivedAs = new TableRef(entry.source().schema(), entry.source().table());
        TableRef target = r.targetTable() == null ? archivedAs : r.targetTable();
        CatalogEntry.Figures expected = entry.checksum().source();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("archive_id", entry.archiveId());
        out.put("status", "dry-run");
        out.put("target", r.target());
        out.put("target_table", target.toString());
        out.put("rows", expected.rows());
        out.put("objects", objects.size());
        out.put("readable", readable);
        String action;
        if (readable < objects.size()) {
            action = "request an S3 restore (" + entry.storage().storageClass() + ", tier " + r.thawTier() + ", "
                    + r.thawDays() + " days) of " + (objects.size() - readable) + " objects, then restore";
        } else if (r.thawOnly()) {
            action = "nothing: every object is readable";
        } else {
            action = "restore";
        }
        if (!r.thawOnly()) {
            try (Connection tc = connections.open(r.target())) {
                tc.setAutoCommit(false);
                tc.setReadOnly(true);
                Checksum existing = existing(tc, target, entry.checksum().dialect());
                tc.rollback();
                if (existing != null && (existing.rows() != expected.rows()
                        || !existing.hex().equals(expected.checksum()))) {
                    throw JobFailure.badInput("table " + target + " already exists in " + r.target()
                            + " and does not hold the archived rows (" + existing.rows() + " rows, "
                            + existing.hex() + "): choose another --target-table or drop it");
                }
                if (existing != null) {
                    action = "skip: " + target + " already holds exactly the archived rows";
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, r.target());
            }
            out.put("ddl", entry.ddl().createTableAs(archivedAs, target));
        }
        out.put("action", action);
        LOG.info("dry run: would " + action + " (" + entry.archiveId() + " into " + r.target() + " " + target
                + "); nothing was changed");
        return out;
    }

    /** What is done with a verified catalog entry, its objects' store and the control connection. */
    private interface EntryWork<T> {
        T apply(CatalogEntry entry, ObjectStore store, Connection ctl, ControlSchema control)
                throws SQLException, IOException;
    }

    private <T> T withEntry(RestoreRequest r, EntryWork<T> work) throws SQLException, IOException {
        ArchiveSettings settings = ArchiveSettings.from(r.config());
        String controlId = r.config().control().connection();
        connections.uri(controlId);
        if (!r.thawOnly()) {
            connections.uri(r.target());
        }
        ControlSchema control = new ControlSchema(r.config().control().schema());
        try (Connection ctl = connections.open(controlId)) {
            CatalogEntry entry = verifiedEntry(new ArchiveCatalog(control), control, ctl, r, controlId);
            // The entry, not today's config, says how its objects were encrypted: its keyring decrypts them.
            try (ObjectStore store = ObjectStore.open(env, settings.connection(),
                    entry.storage().clientSideEncryption())) {
                return work.apply(entry, store, ctl, control);
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, controlId);
        }
    }

    private CatalogEntry verifiedEntry(ArchiveCatalog catalog, ControlSchema control, Connection ctl, RestoreRequest r,
            String controlId) throws SQLException {
        if (!control.exists(ctl)) {
            throw JobFailure.badInput("no archive catalog in " + controlId + " (schema " + control.name()
                    + " does not exist): nothing has been archived there");
        }
        CatalogEntry entry = resolve(catalog, ctl, r.entry());
        if (!entry.verified()) {
            throw JobFailure.badInput("archive " + entry.archiveId() + " is " + entry.status()
                    + ", not verified: refusing to restore from it");
        }
        return entry;
    }

    private RestoreResult restore(RestoreRequest r, CatalogEntry entry, ObjectStore store, Connection ctl,
            ControlSchema control, long started) throws SQLException, IOException {
        List<S3Location> objects = entry.data().files().stream()
                .map(f -> new S3Location(entry.storage().bucket(), f.key())).toList();
        Thaw thaw;
        try (RunSummary.Step step = summary.begin("thaw check")) {
            thaw = thaw(store, objects, r);
            step.rows(thaw.readable());
        }
        if (thaw.readable() < objects.size()) {
            throw JobFailure.retryable("S3 is restoring " + entry.archiveId() + " from "
                    + entry.storage().storageClass() + ": " + thaw.readable() + " of " + objects.size()
                    + " objects readable" + (thaw.requested() ? " (restore requested now, tier " + r.thawTier()
                    + ")" : " (restore in progress)") + "; try again later", null);
        }
        TableRef archivedAs = new TableRef(entry.source().schema(), entry.source().table());
        TableRef target = r.targetTable() == null ? archivedAs : r.targetTable();
        CatalogEntry.Figures expected = entry.checksum().source();
        if (r.thawOnly()) {
            LOG.info(entry.archiveId() + ": all " + objects.size() + " objects readable");
            return new RestoreResult(entry.archiveId(), "readable", null, target.toString(), expected.rows(), null,
                    expected.rows(), expected.checksum(), false, objects.size(), thaw.readable(), thaw.requested(),
                    List.of(), seconds(started));
        }
        Checksum landed;
        String status;
        Connection tc = connections.open(r.target());
        try {
            tc.setAutoCommit(false);
            Checksum existing = existing(tc, target, entry.checksum().dialect());
            if (existing != null) {
                tc.rollback();
                if (existing.rows() != expected.rows() || !existing.hex().equals(expected.checksum())) {
                    throw JobFailure.badInput("table " + target + " already exists in " + r.target() + " and does"
                            + " not hold the archived rows (" + existing.rows() + " rows, " + existing.hex()
                            + "): choose another --target-table or drop it");
                }
                LOG.info(target + " in " + r.target() + " already holds exactly the archived rows: nothing to do");
                landed = existing;
                status = "skipped";
            } else {
                landed = load(tc, entry, store, archivedAs, target, objects);
                if (landed.rows() != expected.rows() || !landed.hex().equals(expected.checksum())) {
                    tc.rollback();
                    Map<String, Object> details = new LinkedHashMap<>();
                    details.put("archive_id", entry.archiveId());
                    details.put("rows", landed.rows());
                    details.put("checksum", landed.hex());
                    details.put("catalog_rows", expected.rows());
                    details.put("catalog_checksum", expected.checksum());
                    throw JobFailure.verificationFailed("restored " + target + " (" + landed.rows() + " rows, "
                            + landed.hex() + ") differs from the catalog (" + expected.rows() + " rows, "
                            + expected.checksum() + "); nothing was kept", details);
                }
                tc.commit();
                status = "restored";
            }
        } catch (SQLException e) {
            try {
                tc.rollback();
            } catch (SQLException ignored) {
                // report the first error
            }
            throw DatabaseFault.classify(e, r.target());
        } finally {
            ConnectionFactory.closeQuietly(tc);
        }
        if ("restored".equals(status)) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("archive_id", entry.archiveId());
            detail.put("target", r.target());
            detail.put("target_table", target.toString());
            detail.put("rows", landed.rows());
            detail.put("checksum", landed.hex());
            new AuditLog(control).append(ctl, r.run(), "restore", detail);
        }
        return new RestoreResult(entry.archiveId(), status, r.target(), target.toString(), landed.rows(),
                landed.hex(), expected.rows(), expected.checksum(), true, objects.size(), thaw.readable(),
                thaw.requested(), entry.ddl().skippedOnRestore(), seconds(started));
    }

    /** An archive id, or {@code instance.schema.table} for that table's newest verified archive. */
    static CatalogEntry resolve(ArchiveCatalog catalog, Connection ctl, String entry) throws SQLException {
        if (entry == null || entry.isBlank()) {
            throw JobFailure.badInput("--entry is required: an archive id (tributary catalog search) or"
                    + " instance.schema.table");
        }
        if (entry.contains("/")) {
            return catalog.find(ctl, entry).orElseThrow(() -> JobFailure.badInput("no catalog entry " + entry
                    + " (find one with: tributary catalog search --name <table>)"));
        }
        String[] parts = entry.split("\\.", 3);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw JobFailure.badInput("--entry '" + entry + "' must be an archive id (instance/schema/table/run) or"
                    + " instance.schema.table");
        }
        return catalog.latestVerified(ctl, parts[0], parts[1], parts[2]).orElseThrow(() -> JobFailure.badInput(
                "no verified archive of " + entry + " in the catalog (tributary catalog search --name " + parts[2]
                        + ")"));
    }

    record Thaw(int readable, boolean requested) {
    }

    /** Asks S3 to restore every archived object not yet readable; waits up to {@code waitSeconds} for them. */
    private Thaw thaw(ObjectStore store, List<S3Location> objects, RestoreRequest r) {
        List<S3Location> pending = new ArrayList<>();
        boolean requested = false;
        for (S3Location o : objects) {
            if (!store.readable(o)) {
                if (store.head(o).map(h -> h.restore() == null).orElse(true)) { // not asked yet
                    store.restore(o, r.thawDays(), r.thawTier());
                    requested = true;
                    LOG.info("requested S3 restore of " + o + " (" + r.thawDays() + " days, tier " + r.thawTier() + ")");
                }
                pending.add(o);
            }
        }
        if (!pending.isEmpty() && r.waitSeconds() > 0) {
            Instant deadline = Instant.now().plusSeconds(r.waitSeconds());
            for (S3Location o : pending) {
                Duration left = Duration.between(Instant.now(), deadline);
                if (left.isNegative() || left.isZero()) {
                    break;
                }
                try {
                    store.awaitReadable(o, left, Duration.ofSeconds(Math.max(1, r.pollSeconds())));
                } catch (JobFailure stillRestoring) {
                    break; // counted below
                }
            }
        }
        int readable = 0;
        for (S3Location o : objects) {
            if (pending.contains(o) ? store.readable(o) : true) {
                readable++;
            }
        }
        if (!pending.isEmpty()) {
            LOG.info("S3 restore: " + readable + " of " + objects.size() + " objects readable");
        }
        return new Thaw(readable, requested);
    }

    /** The target's count and checksum when the table exists, else null. */
    private static Checksum existing(Connection tc, TableRef target, ChecksumDialect hash) throws SQLException {
        var shape = new CatalogReader().read(tc, target);
        if (shape.isEmpty()) {
            return null;
        }
        return new TableChecksum(RowSelection.of(shape.get(), null), hash).compute(tc);
    }

    private Checksum load(Connection tc, CatalogEntry entry, ObjectStore store, TableRef archivedAs, TableRef target,
            List<S3Location> objects) throws SQLException, IOException {
        try (RunSummary.Step step = summary.begin("create table"); Statement st = tc.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(target.schema()));
            for (ArchivedDdl.TypeDdl type : entry.ddl().types()) {
                if (!typeExists(tc, type)) {
                    st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(type.schema()));
                    st.execute(type.statement());
                }
            }
            st.execute(entry.ddl().createTableAs(archivedAs, target));
        }
        List<String> quoted = entry.columns().stream().map(c -> Identifiers.quote(c.name())).toList();
        ArchiveReadBack reader = new ArchiveReadBack(store);
        Path dir = Files.createTempDirectory("tributary-restore-");
        long rows = 0;
        try (RunSummary.Step step = summary.begin("load parquet")) {
            for (S3Location object : objects) {
                Path local = reader.download(object, dir);
                try {
                    rows += ParquetCopyIn.copy(tc, target.quoted(), quoted, local);
                } finally {
                    Files.deleteIfExists(local);
                }
            }
            step.rows(rows);
        } finally {
            ArchiveReadBack.deleteQuietly(dir);
        }
        try (RunSummary.Step step = summary.begin("keys + indexes"); Statement st = tc.createStatement()) {
            for (String sql : entry.ddl().postDataStatements(target)) {
                st.execute(sql);
            }
        }
        TableShape shape = new CatalogReader().read(tc, target).orElseThrow();
        try (RunSummary.Step step = summary.begin("target checksum")) {
            Checksum figures = new TableChecksum(RowSelection.of(shape, null), entry.checksum().dialect())
                    .compute(tc);
            step.rows(figures.rows());
            return figures;
        }
    }

    private static boolean typeExists(Connection tc, ArchivedDdl.TypeDdl type) throws SQLException {
        try (PreparedStatement ps = tc.prepareStatement("""
                SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = ? AND t.typname = ?""")) {
            ps.setString(1, type.schema());
            ps.setString(2, type.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static double seconds(long started) {
        return Math.round((System.nanoTime() - started) / 1e6) / 1e3;
    }
}
