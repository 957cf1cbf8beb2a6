package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.ArchiveFixture;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The only way Tributary ever modifies a source: --drop-source, and only for a verified archive, after the hold,
 * when the source still holds exactly the archived rows; the drop is in the audit log and the catalog.
 */
@RequiresPostgres
class DropSourceOnlyAfterAVerifiedArchiveAndTheHoldTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;

    @BeforeAll
    static void createTables() {
        db = new ArchiveFixture("archive_drop", dir, """
                encryption: AES256
                drop_source_hold_days: 0
                """);
        db.source.execute(
                "CREATE TABLE public.tmp_migration_2019 (id int PRIMARY KEY, v text)",
                "INSERT INTO public.tmp_migration_2019 SELECT g, 'v' || g FROM generate_series(1, 500) g",
                "CREATE TABLE public.changes_after_archive (id int PRIMARY KEY)",
                "INSERT INTO public.changes_after_archive SELECT generate_series(1, 10)",
                "CREATE TABLE public.archive_gone (id int PRIMARY KEY)",
                "INSERT INTO public.archive_gone SELECT generate_series(1, 10)");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aVerifiedArchivePastItsHoldDropsTheSourceAndAuditsIt() {
        CliRun run = db.archive("public.tmp_migration_2019", "--drop-source");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.json().get("verified").asBoolean());
        assertTrue(run.json().get("source_dropped").asBoolean(), run.toString());
        assertNull(db.source.query("SELECT to_regclass('public.tmp_migration_2019')"));
        String id = run.json().get("archive_id").asText();
        assertEquals("junit|500", db.control.query("SELECT actor || '|' || (detail->>'rows') FROM tributary.audit_log"
                + " WHERE action = 'archive.drop_source' AND detail->>'archive_id' = '" + id + "'"));
        assertEquals("t", db.control.query("SELECT source_dropped_at IS NOT NULL FROM tributary.archive_catalog"
                + " WHERE archive_id = '" + id + "'"));
        // archiving again finds the verified archive of the dropped table: nothing to do, no error
        CliRun again = db.archive("public.tmp_migration_2019", "--run-id", "run-2", "--drop-source");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("skipped", again.json().get("status").asText());
        // and the table comes back intact
        CliRun restore = db.run("restore", "--entry", "src_eu.public.tmp_migration_2019", "--target", "restored");
        assertEquals(0, restore.exitCode(), restore.toString());
        assertEquals("500", db.restored.query("SELECT count(*) FROM public.tmp_migration_2019"));
    }

    @Test
    void aSourceThatChangedSinceItsArchiveIsNotDropped() {
        CliRun first = db.archive("public.changes_after_archive", "--run-id", "first");
        assertEquals(0, first.exitCode(), first.toString());
        assertFalse(first.json().get("source_dropped").asBoolean(), "no --drop-source: untouched");
        db.source.execute("INSERT INTO public.changes_after_archive VALUES (11)");
        // the same run again (e.g. an Airflow retry) with --drop-source: its archive no longer matches the source
        CliRun drop = db.archive("public.changes_after_archive", "--run-id", "first", "--drop-source");
        assertEquals(3, drop.exitCode(), drop.toString());
        assertTrue(drop.json().get("error").asText().contains("changed since it was archived"), drop.toString());
        assertEquals("11", db.source.query("SELECT count(*) FROM public.changes_after_archive"));
    }

    @Test
    void aSourceWhoseArchiveObjectsAreGoneIsNotDropped() {
        CliRun first = db.archive("public.archive_gone", "--run-id", "gone");
        assertEquals(0, first.exitCode(), first.toString());
        // a lifecycle rule or a person removed the data since: the catalog row still says verified
        String key = "archive/src_eu/public/archive_gone/gone/part-00000.parquet";
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            store.delete(new S3Location(db.bucket, key));
        }
        CliRun drop = db.archive("public.archive_gone", "--run-id", "gone", "--drop-source");
        assertEquals(3, drop.exitCode(), drop.toString());
        assertTrue(drop.json().get("error").asText().contains(key + " is missing"), drop.toString());
        assertEquals("10", db.source.query("SELECT count(*) FROM public.archive_gone"));
    }
}
