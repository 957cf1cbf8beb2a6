package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.result.JobFailure;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * An archive in GLACIER: verified by reading it back before the objects move to GLACIER (read-back from GLACIER
 * itself would need an S3 restore); afterwards nothing can read them until S3 restores them (moto enforces that
 * and completes restores at once). `restore --thaw-only` asks for the restore and reports; then the load works.
 * catalog.json stays STANDARD, readable all along.
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RestoreFromGlacierThawsFirstTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;
    static JsonNode archived;
    static S3Location part;

    @BeforeAll
    static void archiveIntoGlacier() {
        db = new ArchiveFixture("archive_glacier", dir, """
                encryption: AES256
                storage_class: GLACIER
                """);
        db.source.execute("CREATE TABLE public.ticks_2017 (id bigint PRIMARY KEY, px numeric(18,8), at timestamptz)",
                "INSERT INTO public.ticks_2017 SELECT g, g / 3.0, timestamptz '2017-01-02' + g * interval '1 s'"
                        + " FROM generate_series(1, 5000) g");
        CliRun run = db.archive("public.ticks_2017");
        assertEquals(0, run.exitCode(), run.toString());
        archived = run.json();
        part = new S3Location(db.bucket, "archive/" + archived.get("archive_id").asText() + "/part-00000.parquet");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    @Order(1)
    void verifiedThenMovedToGlacierWhereNothingCanReadIt() {
        assertTrue(archived.get("verified").asBoolean());
        assertEquals("GLACIER", archived.get("storage_class").asText());
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            var head = store.head(part).orElseThrow();
            assertEquals("GLACIER", head.storageClassAsString());
            assertEquals("AES256", head.serverSideEncryptionAsString(), "the storage-class change keeps SSE");
            assertNull(head.restore());
            assertFalse(store.readable(part));
            JobFailure refused = assertThrows(JobFailure.class, () -> store.getBytes(part));
            assertTrue(refused.getMessage().contains("restore it first"), refused.getMessage());
            S3Location catalog = new S3Location(db.bucket, "archive/" + archived.get("archive_id").asText() + "/catalog.json");
            assertTrue(CatalogEntry.fromJson(new String(store.getBytes(catalog), java.nio.charset.StandardCharsets.UTF_8))
                    .restore().needsS3Restore());
        }
    }

    @Test
    @Order(2)
    void thawOnlyAsksS3AndReportsProgress() {
        CliRun thaw = db.run("restore", "--entry", "src_eu.public.ticks_2017", "--thaw-only", "--thaw-tier", "Bulk");
        assertEquals(0, thaw.exitCode(), thaw.toString());
        assertEquals("readable", thaw.json().get("status").asText());
        assertTrue(thaw.json().get("s3_restore_requested").asBoolean());
        assertEquals(1, thaw.json().get("objects_readable").asInt());
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            assertTrue(store.head(part).orElseThrow().restore().contains("ongoing-request=\"false\""));
            assertTrue(store.readable(part));
        }
    }

    @Test
    @Order(3)
    void thenTheLoadReproducesTheChecksum() {
        CliRun load = db.run("restore", "--entry", archived.get("archive_id").asText(), "--target", "restored");
        assertEquals(0, load.exitCode(), load.toString());
        assertFalse(load.json().get("s3_restore_requested").asBoolean(), "already thawed");
        assertEquals(archived.get("checksum").asText(), load.json().get("checksum").asText());
        assertEquals("5000", db.restored.query("SELECT count(*) FROM public.ticks_2017"));
    }

    @Test
    @Order(4)
    void aBadTierIsExitTwo() {
        CliRun run = db.run("restore", "--entry", archived.get("archive_id").asText(), "--thaw-only",
                "--thaw-tier", "Fast");
        assertEquals(2, run.exitCode(), run.toString());
    }
}
