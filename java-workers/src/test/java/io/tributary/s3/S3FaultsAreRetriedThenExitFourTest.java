package io.tributary.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.FaultyS3Proxy;
import io.tributary.testing.MotoS3;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.TestS3;
import io.tributary.testing.WarehouseFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * S3 answering 500 InternalError or 503 SlowDown in the middle of an upload (stage, archive) or a download
 * (restore), through a proxy that answers chosen requests itself: a few are retried by the SDK's policy and the
 * command ends as if nothing happened; a fault that lasts is exit 4 (Airflow retries later) with no object completed,
 * no receipt or catalog entry, and no restored table.
 */
@RequiresPostgres
class S3FaultsAreRetriedThenExitFourTest {
    static final String FROM = "2026-06-01T00:00:00+00:00";
    static final String TO = "2026-06-02T00:00:00+00:00";

    @TempDir
    static Path dir;
    static WarehouseFixture wh;
    static ArchiveFixture ar;
    static FaultyS3Proxy toS3Proxy;
    static FaultyS3Proxy toMoto;

    @BeforeAll
    static void setUp() throws Exception {
        wh = new WarehouseFixture("s3faults", Files.createDirectories(dir.resolve("wh")),
                "- {source: src_eu, table: market.fills, partition_column: ts}");
        wh.source.execute("CREATE SCHEMA market", "CREATE TABLE market.fills (id bigint, note text, ts timestamptz)",
                "INSERT INTO market.fills SELECT i, md5(i::text), '2026-06-01 00:00+00'::timestamptz"
                        + " + i * interval '2 seconds' FROM generate_series(0, 29999) i");
        ar = new ArchiveFixture("s3faults", Files.createDirectories(dir.resolve("ar")),
                "encryption: AES256\nrows_per_file: 10000\n");
        ar.source.execute("CREATE TABLE public.old_log (id bigint PRIMARY KEY, line text)",
                "INSERT INTO public.old_log SELECT i, md5(i::text) FROM generate_series(1, 30000) i");
        wh.store.ensureBucket(wh.bucket);
        try (ObjectStore store = ObjectStore.open(ar.env(), "archive_s3")) {
            store.ensureBucket(ar.bucket);
        }
        toS3Proxy = new FaultyS3Proxy(TestS3.uri());
        toMoto = new FaultyS3Proxy(MotoS3.uri());
    }

    @AfterAll
    static void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {toS3Proxy, toMoto, wh, ar}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort
            }
        }
    }

    static CliRun stage(String prefix) {
        Map<String, String> env = new HashMap<>(wh.env());
        env.put("TRIBUTARY_CONN_S3", toS3Proxy.through(TestS3.uri()));
        return CliRun.run(env, "stage", "--config", wh.config.toString(), "--source", "src_eu", "--table",
                "market.fills", "--from", FROM, "--to", TO, "--prefix", prefix, "--run-id", "junit-s3faults");
    }

    static Map<String, String> archiveEnv() {
        Map<String, String> env = new HashMap<>(ar.env());
        env.put("TRIBUTARY_CONN_ARCHIVE_S3", toMoto.through(MotoS3.uri()));
        return env;
    }

    @Test
    void stageRidesOutAFewFaultsAndStopsWithExitFourWhenTheyLast() {
        toS3Proxy.fail(FaultyS3Proxy.Request::isParquetUpload, 2, 503, "SlowDown");
        CliRun ok = stage("wh/retried");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertEquals(2, toS3Proxy.injected(), "two uploads answered 503, retried");
        assertEquals(30000, ok.json().get("rows").asLong());
        CliRun loaded = wh.run("load", "--config", wh.config.toString(), "--source", "src_eu", "--table",
                "market.fills", "--manifest", ok.json().get("manifest").asText(), "--from", FROM, "--to", TO);
        assertEquals(0, loaded.exitCode(), loaded.toString());
        assertEquals(30000, wh.warehouse.count("SELECT count(DISTINCT id) FROM market.fills"));

        toS3Proxy.fail(FaultyS3Proxy.Request::isParquetUpload, 1000, 500, "InternalError");
        CliRun failed = stage("wh/lasting");
        toS3Proxy.fail(r -> false, 0, 0, null);
        assertEquals(4, failed.exitCode(), failed.toString());
        assertTrue(failed.json().get("error").asText().contains("retryable"), failed.toString());
        assertTrue(wh.store.list(new S3Location(wh.bucket, "wh/lasting/")).isEmpty(), "no object, whole or truncated");
        assertEquals(0, wh.warehouse.count("SELECT count(*) FROM tributary.warehouse_stages WHERE manifest LIKE '%/wh/lasting/%'"));
    }

    @Test
    void archiveAndRestoreRideOutAFewFaultsAndStopWithExitFourWhenTheyLast() {
        Map<String, String> env = archiveEnv();
        toMoto.fail(FaultyS3Proxy.Request::isParquetUpload, 1000, 503, "SlowDown");
        CliRun failed = CliRun.run(env, "archive", "--config=" + ar.config, "--source", "src_eu", "--table",
                "public.old_log", "--run-id", "run-lasting");
        toMoto.fail(r -> false, 0, 0, null);
        assertEquals(4, failed.exitCode(), failed.toString());
        assertEquals(0, ar.control.count("SELECT count(*) FROM tributary.archive_catalog"), "no catalog entry");
        try (ObjectStore store = ObjectStore.open(ar.env(), "archive_s3")) {
            assertTrue(store.list(new S3Location(ar.bucket, "archive/src_eu/public/old_log/run-lasting/")).isEmpty(),
                    "no object, whole or truncated");
        }

        toMoto.fail(FaultyS3Proxy.Request::isParquetUpload, 2, 500, "InternalError");
        CliRun archived = CliRun.run(env, "archive", "--config=" + ar.config, "--source", "src_eu", "--table",
                "public.old_log", "--run-id", "run-retried");
        assertEquals(0, archived.exitCode(), archived.toString());
        JsonNode a = archived.json();
        assertEquals("archived", a.get("status").asText());

        String[] restore = {"restore", "--config=" + ar.config, "--entry", a.get("archive_id").asText(), "--target",
            "restored", "--target-table", "back.old_log"};
        toMoto.fail(r -> r.isGetOf("part-00001.parquet"), 1000, 503, "SlowDown");
        CliRun lasting = CliRun.run(env, restore);
        toMoto.fail(r -> false, 0, 0, null);
        assertEquals(4, lasting.exitCode(), lasting.toString());
        assertNull(ar.restored.query("SELECT to_regclass('back.old_log')::text"), "no half-restored table");

        toMoto.fail(r -> r.isGetOf("part-00001.parquet"), 2, 500, "InternalError");
        CliRun restored = CliRun.run(env, restore);
        assertEquals(0, restored.exitCode(), restored.toString());
        assertEquals(a.get("checksum").asText(), restored.json().get("checksum").asText());
        assertEquals(30000, ar.restored.count("SELECT count(DISTINCT id) FROM back.old_log"));
    }
}
