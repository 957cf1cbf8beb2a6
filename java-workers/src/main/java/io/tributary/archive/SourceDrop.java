package io.tributary.archive;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.verify.Checksum;
import io.tributary.verify.TableChecksum;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code --drop-source}: drops the source table, and only when (1) its archive is verified, (2) the retention
 * hold ({@code drop_source_hold_days} after the archive) has passed, (3) the archive is still there: every data
 * object present (and of its cataloged size) and its retention not yet run out, and (4) the source, locked against
 * writes, still holds exactly the archived rows (same count and checksum, recomputed by the source now). The drop
 * is written to the audit log before it commits; a refusal is reported, not an error (the archive itself is fine).
 * Locks wait at most {@value #LOCK_TIMEOUT}: a queued ACCESS EXCLUSIVE request would block every reader behind it,
 * so a busy table is retried later (exit 4) rather than stalling the application.
 */
final class SourceDrop {
    private static final Logger LOG = Logger.getLogger(SourceDrop.class.getName());
    static final String LOCK_TIMEOUT = "5s";

    record Outcome(CatalogEntry entry, boolean dropped, String refusedBecause) {
    }

    private final ConnectionFactory connections;
    private final RunSummary summary;

    SourceDrop(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    Outcome drop(ArchiveRequest request, CatalogEntry entry, Connection ctl, ArchiveCatalog catalog,
            ControlSchema control, ObjectStore store) throws SQLException {
        if (!entry.verified()) {
            throw JobFailure.badInput("refusing --drop-source: archive " + entry.archiveId() + " is not verified ("
                    + entry.status() + ")");
        }
        String held = holdNotOver(entry);
        if (held != null) {
            LOG.warning("--drop-source: " + request.source() + "." + request.table() + " not dropped, " + held);
            return new Outcome(entry, false, held);
        }
        requireArchiveInPlace(entry, store);
        String source = request.source();
        Connection src = connections.open(source);
        try (RunSummary.Step step = summary.begin("drop source")) {
            src.setAutoCommit(false);
            try (Statement st = src.createStatement()) {
                st.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT + "'");
                // No writes between the check below and the drop; readers go on while the source checksums.
                st.execute("LOCK TABLE " + request.table().quoted() + " IN SHARE MODE");
            }
            TableShape shape = new CatalogReader().read(src, request.table()).orElseThrow(() -> JobFailure.badInput(
                    "table " + request.table() + " does not exist in " + source));
            Checksum now = new TableChecksum(RowSelection.of(shape, null), entry.checksum().dialect()).compute(src);
            CatalogEntry.Figures archived = entry.checksum().source();
            if (now.rows() != archived.rows() || !now.hex().equals(archived.checksum())) {
                src.rollback();
                throw JobFailure.verificationFailed("refusing --drop-source: " + source + "." + request.table()
                        + " changed since it was archived (now " + now.rows() + " rows, " + now.hex()
                        + "; archived " + archived.rows() + " rows, " + archived.checksum()
                        + "): archive it again first", Map.of("archive_id", entry.archiveId()));
            }
            try (Statement st = src.createStatement()) {
                st.execute("LOCK TABLE " + request.table().quoted() + " IN ACCESS EXCLUSIVE MODE");
                st.execute("DROP TABLE " + request.table().quoted()); // no CASCADE: dependants must be dealt with
            }
            String at = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("archive_id", entry.archiveId());
            detail.put("source", source);
            detail.put("table", request.table().toString());
            detail.put("rows", now.rows());
            detail.put("checksum", now.hex());
            detail.put("location", entry.data().location());
            new AuditLog(control).append(ctl, request.run(), "archive.drop_source", detail);
            src.commit();
            step.rows(now.rows());
            LOG.warning("dropped source table " + source + "." + request.table() + " (archived as "
                    + entry.archiveId() + ", verified; audited)");
            CatalogEntry dropped = entry.withSourceDropped(at, request.run().actor());
            ObjectOptions options = new ObjectOptions(entry.storage().encryption(), entry.storage().kmsKeyId(),
                    entry.storage().tags(), null);
            TableArchive.saveEverywhere(dropped, store, options, ctl, catalog);
            return new Outcome(dropped, true, null);
        } catch (SQLException e) {
            try {
                src.rollback();
            } catch (SQLException ignored) {
                // the first error is the one to report
            }
            throw DatabaseFault.classify(e, source);
        } finally {
            ConnectionFactory.closeQuietly(src);
        }
    }

    /**
     * What a dry run can say without locking anything: null when the drop would go ahead (the source's rows are
     * then still compared with the archive under lock), else why not.
     */
    static String wouldRefuse(CatalogEntry entry, ObjectStore store) {
        if (!entry.verified()) {
            return "archive " + entry.archiveId() + " is not verified (" + entry.status() + ")";
        }
        String held = holdNotOver(entry);
        if (held != null) {
            return held;
        }
        try {
            requireArchiveInPlace(entry, store);
            return null;
        } catch (JobFailure f) {
            return f.getMessage();
        }
    }

    /** The retention hold not yet over, said in words; null once it is. */
    private static String holdNotOver(CatalogEntry entry) {
        Instant droppableAfter = Instant.parse(entry.lineage().archivedAt())
                .plus(entry.retention().dropSourceHoldDays(), ChronoUnit.DAYS);
        return Instant.now().isBefore(droppableAfter)
                ? "retention hold: the source is kept until " + droppableAfter + " ("
                        + entry.retention().dropSourceHoldDays() + " days after the verified archive)"
                : null;
    }

    /**
     * The catalog row says verified; the bucket must agree now: a lifecycle rule, a person or a retention shorter
     * than the hold may have removed the objects since. Sizes are compared where the object holds the Parquet
     * bytes themselves (client-side encryption adds its envelope).
     */
    private static void requireArchiveInPlace(CatalogEntry entry, ObjectStore store) {
        LocalDate retainUntil = LocalDate.parse(entry.retention().retainUntil());
        if (!LocalDate.now(ZoneOffset.UTC).isBefore(retainUntil)) {
            throw JobFailure.verificationFailed("refusing --drop-source: archive " + entry.archiveId()
                    + " was kept until " + retainUntil + " and may already be expiring: archive it again first",
                    Map.of("archive_id", entry.archiveId()));
        }
        boolean plainBytes = entry.storage().clientSideEncryption() == null;
        for (CatalogEntry.DataFile file : entry.data().files()) {
            S3Location object = new S3Location(entry.storage().bucket(), file.key());
            var head = store.head(object);
            String problem = head.isEmpty() ? "is missing"
                    : plainBytes && head.get().contentLength() != file.bytes()
                            ? "is " + head.get().contentLength() + " bytes, the catalog says " + file.bytes() : null;
            if (problem != null) {
                throw JobFailure.verificationFailed("refusing --drop-source: archive object " + object.url() + " "
                        + problem + ": archive it again first", Map.of("archive_id", entry.archiveId()));
            }
        }
    }
}
