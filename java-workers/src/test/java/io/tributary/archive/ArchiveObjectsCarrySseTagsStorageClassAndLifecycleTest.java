package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * What S3 stores with every archive object, asked of the server itself (moto honours all of it): server-side
 * encryption (aws:kms with the configured key, and AES256), the tags (class, source instance, run id, retention
 * date), the storage class, and the lifecycle rule on the prefix derived from the retention policy, merged with
 * rules the bucket already had.
 */
@RequiresPostgres
class ArchiveObjectsCarrySseTagsStorageClassAndLifecycleTest {
    static final String KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    /** No encryption key named: aws:kms is the default. */
    static final String PRODUCTION = """
            kms_key_id: %s
            storage_class: GLACIER_IR
            retention_days: 2555
            transition_days: 90
            transition_storage_class: DEEP_ARCHIVE
            """.formatted(KEY);
    @TempDir
    static Path dir;
    static ArchiveFixture db;

    @BeforeAll
    static void createTables() {
        db = new ArchiveFixture("archive_s3_options", dir, PRODUCTION);
        db.source.execute("CREATE TABLE public.old_fx_rates (day date PRIMARY KEY, eur numeric(10,6))",
                "INSERT INTO public.old_fx_rates SELECT date '2015-01-01' + g, 1 + g / 10000.0 FROM generate_series(0, 999) g",
                "CREATE TABLE public.scratch_export (id int, payload text)",
                "INSERT INTO public.scratch_export SELECT g, repeat('x', g % 50) FROM generate_series(1, 300) g");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    private static HeadObjectResponse head(ObjectStore store, String key) {
        return store.head(new S3Location(db.bucket, key)).orElseThrow(() -> new AssertionError("no object " + key));
    }

    @Test
    void kmsByDefaultWithTagsStorageClassAndLifecycle() {
        db.writeConfig(PRODUCTION);
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            store.ensureBucket(db.bucket);
            // a rule someone else put on the bucket must survive ours
            store.putLifecycleRule(db.bucket, new io.tributary.s3.LifecycleRule("keep-logs", "logs/", java.util.Map.of(), 0, null, 30));

            CliRun run = db.archive("public.old_fx_rates", "--run-id", "scheduled__2026-12-01T00:00:00+00:00",
                    "--class", "unknown");
            assertEquals(0, run.exitCode(), run.toString());
            JsonNode r = run.json();
            assertEquals("aws:kms", r.get("encryption").asText());
            String folder = "archive/src_eu/public/old_fx_rates/scheduled__2026-12-01T00_00_00_00_00/";
            HeadObjectResponse part = head(store, folder + "part-00000.parquet");
            assertEquals("aws:kms", part.serverSideEncryptionAsString());
            assertEquals(KEY, part.ssekmsKeyId());
            assertEquals("GLACIER_IR", part.storageClassAsString());
            String retainUntil = LocalDate.now(ZoneOffset.UTC).plusDays(2555).toString();
            assertEquals(Map.of("class", "unknown", "source-instance", "src_eu",
                    "run-id", "scheduled__2026-12-01T00_00_00_00_00", "retain-until", retainUntil,
                    "retention-days", "2555"),
                    store.tags(new S3Location(db.bucket, folder + "part-00000.parquet")));
            assertEquals(retainUntil, r.get("retain_until").asText());
            HeadObjectResponse catalog = head(store, folder + "catalog.json");
            assertEquals("aws:kms", catalog.serverSideEncryptionAsString());
            assertTrue(catalog.storageClassAsString() == null || "STANDARD".equals(catalog.storageClassAsString()),
                    "catalog.json stays STANDARD: " + catalog.storageClassAsString());

            var rules = store.lifecycle(db.bucket);
            var ours = rules.stream().filter(x -> x.id().equals("tributary-archive-archive-retain-2555d")).findFirst()
                    .orElseThrow(() -> new AssertionError("no rule for the 2555-day retention: " + rules));
            assertEquals("archive/", ours.filter().and().prefix());
            assertEquals(Map.of("retention-days", "2555"), ours.filter().and().tags().stream()
                    .collect(java.util.stream.Collectors.toMap(t -> t.key(), t -> t.value())));
            assertEquals(2555, ours.expiration().days());
            assertEquals(90, ours.transitions().get(0).days());
            assertEquals("DEEP_ARCHIVE", ours.transitions().get(0).storageClassAsString());
            assertTrue(rules.stream().anyMatch(x -> x.id().equals("keep-logs")), "the bucket's other rule survives");
            var abort = rules.stream().filter(x -> x.id().equals("tributary-archive-archive-abort-incomplete-uploads"))
                    .findFirst().orElseThrow(() -> new AssertionError("no rule for incomplete uploads: " + rules));
            assertEquals(7, abort.abortIncompleteMultipartUpload().daysAfterInitiation(),
                    "parts a killed worker left behind are not billed forever");
            assertEquals("archive/", abort.filter().prefix(), "a prefix-only rule (S3 allows no tags with it)");

            // A shorter retention later applies to the archives written with it, never to the earlier ones.
            db.writeConfig(PRODUCTION.replace("retention_days: 2555", "retention_days: 400"));
            db.source.execute("CREATE TABLE public.old_fx_rates_2016 AS SELECT * FROM public.old_fx_rates");
            CliRun later = db.archive("public.old_fx_rates_2016", "--run-id", "later", "--class", "unknown");
            assertEquals(0, later.exitCode(), later.toString());
            var after = store.lifecycle(db.bucket);
            assertEquals(2555, after.stream().filter(x -> x.id().equals("tributary-archive-archive-retain-2555d"))
                    .findFirst().orElseThrow().expiration().days(), "the earlier archives keep their 7 years");
            assertEquals(400, after.stream().filter(x -> x.id().equals("tributary-archive-archive-retain-400d"))
                    .findFirst().orElseThrow().expiration().days());
            db.writeConfig(PRODUCTION);
        }
    }

    @Test
    void aes256WhenConfigured() {
        db.writeConfig("""
                encryption: AES256
                storage_class: STANDARD_IA
                """);
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            CliRun run = db.archive("public.scratch_export", "--run-id", "aes");
            assertEquals(0, run.exitCode(), run.toString());
            HeadObjectResponse part = head(store, "archive/src_eu/public/scratch_export/aes/part-00000.parquet");
            assertEquals("AES256", part.serverSideEncryptionAsString());
            assertEquals("STANDARD_IA", part.storageClassAsString());
            assertEquals(300, run.json().get("rows").asLong());
        } finally {
            db.writeConfig(PRODUCTION);
        }
    }

    @Test
    void kmsWithoutAKeyIdIsExitTwoBeforeAnythingIsWritten() {
        db.writeConfig("storage_class: STANDARD");
        try {
            CliRun run = db.archive("public.scratch_export", "--run-id", "nokey");
            assertEquals(2, run.exitCode(), run.toString());
            assertTrue(run.json().get("error").asText().contains("kms_key_id"), run.toString());
        } finally {
            db.writeConfig(PRODUCTION);
        }
    }
}
