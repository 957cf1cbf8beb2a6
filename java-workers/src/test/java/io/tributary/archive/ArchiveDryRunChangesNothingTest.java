package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code archive --dry-run}: what would be archived where, or skipped, and whether {@code --drop-source} would drop;
 * nothing written to the bucket or the control schema, nothing dropped.
 */
@RequiresPostgres
class ArchiveDryRunChangesNothingTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;

    @BeforeAll
    static void createTables() {
        db = new ArchiveFixture("archive_dry", dir, """
                encryption: AES256
                drop_source_hold_days: 0
                """);
        db.source.execute(
                "CREATE TABLE public.old_orders (id int PRIMARY KEY, v text)",
                "INSERT INTO public.old_orders SELECT g, 'v' || g FROM generate_series(1, 300) g");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    private static int objects() {
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            return store.list(new S3Location(db.bucket, "archive/")).size();
        } catch (RuntimeException bucketNotThereYet) {
            return 0;
        }
    }

    @Test
    void aDryRunWritesNothingThenTheRealRunThenTheDropIsAnnouncedNotDone() {
        CliRun dry = db.archive("public.old_orders", "--dry-run", "--drop-source");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertEquals("dry-run", dry.json().get("status").asText());
        assertEquals("archive", dry.json().get("action").asText());
        assertEquals(300, dry.json().get("rows").asLong());
        assertEquals("s3://" + db.bucket + "/archive/src_eu/public/old_orders/run-1/",
                dry.json().get("location").asText());
        assertTrue(dry.json().get("drop_source").asText().startsWith("not dropped on this run"), dry.toString());
        assertEquals(0, objects(), "no object written");
        assertNull(db.control.query("SELECT to_regclass('tributary.archive_catalog')"), "no control schema created");

        CliRun real = db.archive("public.old_orders");
        assertEquals(0, real.exitCode(), real.toString());
        int written = objects();
        String catalog = db.control.query("SELECT count(*) || '|' || max(status) FROM tributary.archive_catalog");
        String audit = db.control.query("SELECT count(*) FROM tributary.audit_log");

        CliRun dropDry = db.archive("public.old_orders", "--run-id", "run-2", "--dry-run", "--drop-source");
        assertEquals(0, dropDry.exitCode(), dropDry.toString());
        assertEquals("skip", dropDry.json().get("action").asText(), "already archived and verified, source unchanged");
        assertTrue(dropDry.json().get("drop_source").asText().startsWith("would drop"), dropDry.toString());
        assertEquals("300", db.source.query("SELECT count(*) FROM public.old_orders"), "nothing dropped");
        assertEquals(written, objects());
        assertEquals(catalog, db.control.query("SELECT count(*) || '|' || max(status) FROM tributary.archive_catalog"));
        assertEquals(audit, db.control.query("SELECT count(*) FROM tributary.audit_log"));

        CliRun restoreDry = db.run("restore", "--entry", "src_eu.public.old_orders", "--target", "restored",
                "--dry-run");
        assertEquals(0, restoreDry.exitCode(), restoreDry.toString());
        assertEquals("restore", restoreDry.json().get("action").asText());
        assertEquals(300, restoreDry.json().get("rows").asLong());
        assertTrue(restoreDry.json().get("ddl").asText().contains("\"old_orders\""), restoreDry.toString());
        assertNull(db.restored.query("SELECT to_regclass('public.old_orders')"), "no table created");
        assertEquals(0, db.run("restore", "--entry", "src_eu.public.old_orders", "--target", "restored").exitCode());
        CliRun again = db.run("restore", "--entry", "src_eu.public.old_orders", "--target", "restored", "--dry-run");
        assertTrue(again.json().get("action").asText().startsWith("skip"), again.toString());
    }
}
