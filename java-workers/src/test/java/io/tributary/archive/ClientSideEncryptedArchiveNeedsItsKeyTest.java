package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3ConnectionUri;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.MotoS3;
import io.tributary.testing.RequiresPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Client-side envelope encryption of the archive (targets.archive.client_side_encryption), on real PostgreSQL and
 * moto's S3 (and moto's KMS for the kms keyring): the stored objects are ciphertext nobody can read as Parquet
 * without the key; the archive is still verified by reading back through the decrypting client; a restore with the
 * key reproduces the checksum, and one without it (or with a wrong one) fails with exit 2, changing nothing. The
 * key itself appears nowhere: not in the output, the catalog, nor catalog.json.
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientSideEncryptedArchiveNeedsItsKeyTest {
    static final String KEY_ENV = "TRIBUTARY_TEST_ARCHIVE_KEY";
    static final byte[] PARQUET_MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    static ArchiveFixture db;
    static String key;
    static JsonNode archived;

    @BeforeAll
    static void createTables() {
        db = new ArchiveFixture("client_side", dir, """
                encryption: AES256
                rows_per_file: 250000
                client_side_encryption:
                  keyring: raw-aes
                  key_env: %s
                """.formatted(KEY_ENV));
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        key = Base64.getEncoder().encodeToString(raw);
        db.env().put(KEY_ENV, key);
        // 250,000 rows of hex noise in one Parquet file of ~15 MB: larger than one 8 MiB upload part, so the
        // encrypted multipart path (parts in order, the last one finishing the cipher) is exercised.
        db.source.execute(
                "CREATE TABLE public.old_audit (id bigint PRIMARY KEY, a text, b text, c text, at timestamptz,"
                        + " amount numeric(14,4))",
                "INSERT INTO public.old_audit SELECT g, md5(g::text), md5((g * 7)::text), md5((g * 13)::text),"
                        + " timestamptz '2020-01-01 00:00+00' + g * interval '1 minute', g * 0.0001"
                        + " FROM generate_series(1, 250000) g",
                "CREATE TABLE public.old_kms (id int PRIMARY KEY, note text)",
                "INSERT INTO public.old_kms SELECT g, 'kms row ' || g FROM generate_series(1, 3000) g");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    @Order(1)
    void archiveEncryptsOnTheClientAndVerifiesThroughTheDecryptingClient() {
        CliRun run = db.archive("public.old_audit");
        assertEquals(0, run.exitCode(), run.toString());
        archived = run.json();
        assertTrue(archived.get("verified").asBoolean(), archived.toString());
        assertEquals(250000, archived.get("rows").asLong());
        assertEquals(archived.get("checksum").asText(), archived.get("archive_checksum").asText());
        assertEquals(1, archived.get("files").asInt());
        assertEquals("raw-aes (master key from $" + KEY_ENV + ")", archived.get("client_side_encryption").asText());
        assertFalse(run.stdout().contains(key) || run.stderr().contains(key), "the key must never be printed");
    }

    @Test
    @Order(2)
    void theStoredObjectsAreCiphertextNotParquet() {
        String id = archived.get("archive_id").asText();
        try (ObjectStore plain = ObjectStore.open(db.env(), "archive_s3")) {
            CatalogEntry entry = CatalogEntry.fromJson(new String(plain.getBytes(
                    new S3Location(db.bucket, "archive/" + id + "/catalog.json")), StandardCharsets.UTF_8));
            assertEquals("raw-aes", entry.storage().clientSideEncryption().keyring());
            assertEquals(KEY_ENV, entry.storage().clientSideEncryption().keyEnv());
            CatalogEntry.DataFile first = entry.data().files().get(0);
            assertTrue(first.bytes() > 8 * 1024 * 1024, "first file should span several upload parts: " + first);
            for (CatalogEntry.DataFile f : entry.data().files()) {
                S3Location object = new S3Location(db.bucket, f.key());
                byte[] stored = plain.getBytes(object);
                // AES-GCM: same length as the plaintext plus the 16-byte tag; no Parquet magic at either end.
                assertEquals(f.bytes() + 16, stored.length, f.key());
                assertFalse(Arrays.equals(PARQUET_MAGIC, Arrays.copyOfRange(stored, 0, 4)), f.key());
                assertFalse(Arrays.equals(PARQUET_MAGIC, Arrays.copyOfRange(stored, stored.length - 4, stored.length)),
                        f.key());
                var meta = plain.head(object).orElseThrow().metadata();
                assertEquals("AES/GCM/NoPadding", meta.get("x-amz-cek-alg"), meta.toString());
                assertNotNull(meta.get("x-amz-key-v2"), meta.toString()); // the wrapped data key, per object
                assertEquals("AES256", plain.head(object).orElseThrow().serverSideEncryptionAsString()); // SSE too
            }
            try (ObjectStore decrypting = ObjectStore.open(db.env(), "archive_s3",
                    entry.storage().clientSideEncryption())) {
                byte[] clear = decrypting.get(new S3Location(db.bucket, first.key())).readAllBytes();
                assertEquals(first.bytes(), clear.length);
                assertArrayEquals(PARQUET_MAGIC, Arrays.copyOfRange(clear, 0, 4));
                assertArrayEquals(PARQUET_MAGIC, Arrays.copyOfRange(clear, clear.length - 4, clear.length));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        assertEquals("0", db.control.query("SELECT count(*) FROM tributary.archive_catalog WHERE entry::text LIKE '%"
                + key + "%'"));
        assertEquals("raw-aes", db.control.query("SELECT entry->'storage'->'client_side_encryption'->>'keyring'"
                + " FROM tributary.archive_catalog WHERE archive_id = '" + id + "'"));
    }

    @Test
    @Order(3)
    void restoreWithoutTheKeyIsExitTwoAndChangesNothing() {
        assertRestoreRefused(null, KEY_ENV + " is not set");
    }

    @Test
    @Order(4)
    void restoreWithAWrongKeyIsExitTwoAndChangesNothing() {
        byte[] wrong = new byte[32];
        new SecureRandom().nextBytes(wrong);
        assertRestoreRefused(Base64.getEncoder().encodeToString(wrong), "client-side encryption");
    }

    /** A restore with {@code keyValue} in the key's variable (null: unset) is exit 2 and creates nothing. */
    private static void assertRestoreRefused(String keyValue, String expectedMessage) {
        if (keyValue == null) {
            db.env().remove(KEY_ENV);
        } else {
            db.env().put(KEY_ENV, keyValue);
        }
        try {
            CliRun run = db.run("restore", "--entry", archived.get("archive_id").asText(), "--target", "restored",
                    "--target-table", "back.old_audit");
            assertEquals(2, run.exitCode(), run.toString());
            assertTrue(run.stderr().contains(expectedMessage), run.stderr());
        } finally {
            db.env().put(KEY_ENV, key);
        }
        assertEquals("0", db.restored.query("SELECT count(*) FROM pg_class WHERE relname = 'old_audit'"));
    }

    @Test
    @Order(5)
    void restoreWithTheKeyReproducesTheChecksum() {
        CliRun run = db.run("restore", "--entry", archived.get("archive_id").asText(), "--target", "restored",
                "--target-table", "back.old_audit");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("restored", run.json().get("status").asText());
        assertEquals(archived.get("checksum").asText(), run.json().get("checksum").asText());
        CliRun check = CliRun.run(db.env(), "checksum", "--conn", "restored", "--table", "back.old_audit");
        assertEquals(archived.get("checksum").asText(), check.json().get("checksum").asText());
        assertEquals(250000, db.restored.count("SELECT count(*) FROM back.old_audit"));
    }

    @Test
    @Order(6)
    void theKmsKeyringWrapsEachDataKeyWithAKmsKey() {
        S3ConnectionUri s3 = S3ConnectionUri.parse(MotoS3.uri(), MotoS3.VARIABLE);
        String kmsKeyId;
        try (KmsClient kms = KmsClient.builder().httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(s3.region())).endpointOverride(s3.endpoint().orElseThrow())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build()) {
            kmsKeyId = kms.createKey(b -> b.description("tributary archive test")).keyMetadata().keyId();
        }
        db.writeConfig("""
                encryption: AES256
                client_side_encryption:
                  keyring: kms
                  kms_key_id: %s
                """.formatted(kmsKeyId));
        CliRun run = db.archive("public.old_kms");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode a = run.json();
        assertTrue(a.get("verified").asBoolean(), a.toString());
        assertEquals("kms (" + kmsKeyId + ")", a.get("client_side_encryption").asText());
        try (ObjectStore plain = ObjectStore.open(db.env(), "archive_s3")) {
            String key0 = a.get("location").asText().substring(("s3://" + db.bucket + "/").length()) + "part-00000.parquet";
            var meta = plain.head(new S3Location(db.bucket, key0)).orElseThrow().metadata();
            assertEquals("kms+context", meta.get("x-amz-wrap-alg"), meta.toString());
            byte[] stored = plain.getBytes(new S3Location(db.bucket, key0));
            assertFalse(Arrays.equals(PARQUET_MAGIC, Arrays.copyOfRange(stored, stored.length - 4, stored.length)));
        }
        CliRun restore = db.run("restore", "--entry", a.get("archive_id").asText(), "--target", "restored",
                "--target-table", "back.old_kms");
        assertEquals(0, restore.exitCode(), restore.toString());
        assertEquals(a.get("checksum").asText(), restore.json().get("checksum").asText());
    }
}
