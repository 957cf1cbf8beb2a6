package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.KilledWorker;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stage} and {@code load} killed with SIGKILL mid-run, then run again: the re-run ends with exactly the
 * source's rows, once each, and nothing of the killed run is ever visible: a stage killed between its files and its
 * manifest left nothing load would accept; a load killed mid-ingest left neither rows nor its temporary table, and a
 * re-load killed mid-ingest left the partition loaded before whole.
 */
@RequiresPostgres
class StageAndLoadKilledMidRunRerunExactlyTest {
    static final String FROM = "2026-06-01T00:00:00+00:00";
    static final String TO = "2026-06-02T00:00:00+00:00";
    static final long ROWS = 60_000;

    @TempDir
    static Path dir;
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() {
        fx = new WarehouseFixture("killed", dir, "- {source: src_eu, table: market.ticks, partition_column: ts}");
        fx.source.execute("CREATE SCHEMA market",
                "CREATE TABLE market.ticks (id bigint, symbol text, px numeric(18,6), note text, ts timestamptz)",
                "INSERT INTO market.ticks SELECT i, 'SYM' || (i % 50), i / 7.0, md5(i::text) || md5((i * 3)::text),"
                        + " '2026-06-01 00:00+00'::timestamptz + i * interval '500 milliseconds'"
                        + " FROM generate_series(0, " + (ROWS - 1) + ") i");
        fx.store.ensureBucket(fx.bucket);
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    static String[] stageArgs() {
        return new String[] {"stage", "--config", fx.config.toString(), "--source", "src_eu", "--table", "market.ticks",
            "--from", FROM, "--to", TO, "--run-id", "junit-killed"};
    }

    static String[] loadArgs(String manifest) {
        return new String[] {"load", "--config", fx.config.toString(), "--source", "src_eu", "--table", "market.ticks",
            "--manifest", manifest, "--from", FROM, "--to", TO, "--run-id", "junit-killed"};
    }

    static void assertExactlyTheSourceRows() {
        assertEquals(ROWS, fx.warehouse.count("SELECT count(*) FROM market.ticks"));
        assertEquals(ROWS, fx.warehouse.count("SELECT count(DISTINCT id) FROM market.ticks"), "no duplicate");
        String rows = "SELECT md5(string_agg(id || '|' || px || '|' || note || '|' || ts, ',' ORDER BY id))"
                + " FROM market.ticks";
        assertEquals(fx.source.query(rows), fx.warehouse.query(rows));
    }

    @Test
    void killedStageAndLoadThenRerunsLandExactlyTheSourceRows() throws Exception {
        S3Location table = new S3Location(fx.bucket, "wh/src_eu/market.ticks/");
        // 1. stage killed once its first file is complete, before the manifest and the ledger
        KilledWorker.killWhen(fx.env(), dir.resolve("stage.log"), () -> fx.store.list(table).stream()
                .anyMatch(o -> o.key().endsWith("/part-00000.parquet")), stageArgs());
        String first = fx.store.list(table).stream().map(o -> o.key()).filter(k -> k.endsWith("/part-00000.parquet"))
                .findFirst().orElseThrow();
        String manifest = "s3://" + fx.bucket + "/" + first.replace("part-00000.parquet", "manifest");
        assertTrue(fx.store.list(table).stream().noneMatch(o -> o.key().endsWith("/manifest")),
                "no manifest: the stage never ended");
        CliRun refused = fx.run(loadArgs(manifest));
        assertEquals(2, refused.exitCode(), "nothing recorded, nothing to load: " + refused);
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'market'"));

        CliRun staged = fx.run(stageArgs());
        assertEquals(0, staged.exitCode(), staged.toString());
        JsonNode stage = staged.json();
        assertEquals(manifest, stage.get("manifest").asText());
        assertEquals(ROWS, stage.get("rows").asLong());

        // 2. load killed mid-ingest: its transaction (temporary table, rows) dies with it
        KilledWorker.killWhen(fx.env(), dir.resolve("load.log"),
                KilledWorker.running(fx.warehouse, "tributary load", "COPY %"), loadArgs(manifest));
        KilledWorker.awaitSessionsGone(fx.warehouse, "tributary load");
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM market.ticks"), "nothing half-visible");
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM pg_catalog.pg_class WHERE relpersistence = 't'"),
                "no temporary table left");
        assertEquals("staged", fx.warehouse.query("SELECT status FROM tributary.warehouse_partitions"));

        CliRun loaded = fx.run(loadArgs(manifest));
        assertEquals(0, loaded.exitCode(), loaded.toString());
        assertEquals(stage.get("checksum").asText(), loaded.json().get("checksum").asText());
        assertExactlyTheSourceRows();

        // 3. a re-load killed mid-ingest leaves the partition loaded before, whole; the next one replaces it
        KilledWorker.killWhen(fx.env(), dir.resolve("reload.log"),
                KilledWorker.running(fx.warehouse, "tributary load", "COPY %"), loadArgs(manifest));
        KilledWorker.awaitSessionsGone(fx.warehouse, "tributary load");
        assertExactlyTheSourceRows();
        CliRun reloaded = fx.run(loadArgs(manifest));
        assertEquals(0, reloaded.exitCode(), reloaded.toString());
        assertExactlyTheSourceRows();
        assertEquals("loaded|2", fx.warehouse.query("SELECT status || '|' || loads FROM tributary.warehouse_partitions"));
    }
}
