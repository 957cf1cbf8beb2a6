package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.KilledWorker;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code archive} and {@code restore} killed with SIGKILL mid-run, then run again (what Airflow's retry does, with
 * the same run id): an archive killed after some of its files were complete has no catalog entry, and the re-run
 * removes what it left (objects and unfinished multipart uploads) and ends verified; a restore killed mid-load left
 * no table (one transaction), and the re-run restores exactly the archived rows.
 */
@RequiresPostgres
class ArchiveAndRestoreKilledMidRunRerunExactlyTest {
    static final long ROWS = 60_000;

    @TempDir
    static Path dir;
    static ArchiveFixture db;

    @BeforeAll
    static void setUp() {
        db = new ArchiveFixture("killed_archive", dir, "encryption: AES256\nrows_per_file: 15000\n");
        db.source.execute("CREATE TABLE public.old_events (id bigint PRIMARY KEY, kind text, payload text, at timestamptz)",
                "INSERT INTO public.old_events SELECT i, 'k' || (i % 9), md5(i::text) || md5((i + 1)::text),"
                        + " '2019-01-01 00:00+00'::timestamptz + i * interval '1 minute' FROM generate_series(1, "
                        + ROWS + ") i");
    }

    @AfterAll
    static void tearDown() {
        if (db != null) {
            db.close();
        }
    }

    static String[] archiveArgs() {
        return new String[] {"archive", "--config=" + db.config, "--source", "src_eu", "--table", "public.old_events",
            "--run-id", "run-killed"};
    }

    @Test
    void killedArchiveAndRestoreThenRerunsEndVerified() throws Exception {
        Map<String, String> env = db.env();
        try (ObjectStore store = ObjectStore.open(env, "archive_s3")) {
            store.ensureBucket(db.bucket);
            S3Location folder = new S3Location(db.bucket, "archive/src_eu/public/old_events/run-killed/");
            // 1. archive killed once its first file is complete, before the catalog
            KilledWorker.killWhen(env, dir.resolve("archive.log"), () -> store.list(folder).stream()
                    .anyMatch(o -> o.key().endsWith("part-00000.parquet")), archiveArgs());
            assertEquals(0, db.control.count("SELECT count(*) FROM tributary.archive_catalog WHERE status = 'verified'"),
                    "no verified catalog entry for a killed archive");
            assertTrue(store.list(folder).stream().noneMatch(o -> o.key().endsWith("catalog.json")));

            CliRun archived = CliRun.run(env, archiveArgs());
            assertEquals(0, archived.exitCode(), archived.toString());
            JsonNode a = archived.json();
            assertEquals("archived", a.get("status").asText());
            assertEquals(ROWS, a.get("rows").asLong());
            assertEquals(4 + 1, store.list(folder).size(), "exactly its 4 files and catalog.json: nothing left over");
            assertTrue(store.incompleteUploads(folder).isEmpty(), "no unfinished upload of the killed run left");
            assertEquals(1, db.control.count("SELECT count(*) FROM tributary.archive_catalog WHERE status = 'verified'"));

            // 2. restore killed mid-load: one transaction, nothing of it stays
            String[] restoreArgs = {"restore", "--config=" + db.config, "--entry", a.get("archive_id").asText(),
                "--target", "restored", "--target-table", "back.old_events"};
            KilledWorker.killWhen(env, dir.resolve("restore.log"),
                    KilledWorker.running(db.restored, "tributary restore", "COPY %"), restoreArgs);
            KilledWorker.awaitSessionsGone(db.restored, "tributary restore");
            assertNull(db.restored.query("SELECT to_regclass('back.old_events')::text"), "no half-restored table");

            CliRun restored = CliRun.run(env, restoreArgs);
            assertEquals(0, restored.exitCode(), restored.toString());
            assertEquals("restored", restored.json().get("status").asText());
            assertEquals(a.get("checksum").asText(), restored.json().get("checksum").asText());
            assertEquals(ROWS, db.restored.count("SELECT count(DISTINCT id) FROM back.old_events"));
            String rows = "SELECT md5(string_agg(id || kind || payload || at, ',' ORDER BY id)) FROM ";
            assertEquals(db.source.query(rows + "public.old_events"), db.restored.query(rows + "back.old_events"));
        }
    }
}
