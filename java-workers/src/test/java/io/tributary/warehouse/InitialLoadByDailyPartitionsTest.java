package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import io.tributary.testing.TestS3;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * An initial load in one worker call per step: {@code stage --partition ...} and {@code load --manifest ...
 * --partition ...} work through a series of daily partitions, each with its own files, manifest, ledger row and
 * verification, against a real source PostgreSQL, S3Proxy and a PostgreSQL warehouse.
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InitialLoadByDailyPartitionsTest {
    static final List<String> DAYS = List.of(
            "d1=2026-06-01T00:00:00+00:00/2026-06-02T00:00:00+00:00",
            "d2=2026-06-02T00:00:00+00:00/2026-06-03T00:00:00+00:00",
            "d3=2026-06-03T00:00:00+00:00/2026-06-04T00:00:00+00:00");

    @TempDir
    static Path dir;
    static ScratchDatabase source;
    static ScratchDatabase warehouse;
    static ObjectStore store;
    static String bucket;
    static Path config;
    static final Map<String, String> env = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        source = TestPostgres.createDatabase("whs_src");
        warehouse = TestPostgres.createDatabase("whs_dst");
        store = TestS3.open();
        bucket = TestS3.bucket("series");
        source.execute("CREATE SCHEMA market", """
                CREATE TABLE market.fills (exec_id text PRIMARY KEY, symbol text NOT NULL,
                  price numeric(18,6) NOT NULL, ts timestamptz NOT NULL)""", """
                INSERT INTO market.fills
                SELECT 'E' || i, (ARRAY['AAPL','MSFT','BTC-USD'])[1 + i % 3], 100 + i * 0.0001,
                       '2026-06-01 00:00:00+00'::timestamptz + i * interval '97 seconds'
                FROM generate_series(0, 2999) i""", // 3 days and a bit: the rest lies outside the series
                "INSERT INTO market.fills VALUES ('OLD', 'AAPL', 1, '2026-05-01 12:00+00')");
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                control: {connection: consolidated, schema: tributary}
                sources: [{id: src_eu}]
                targets:
                  consolidated: {connection: consolidated}
                  warehouse:
                    connection: warehouse
                    dialect: postgres
                    schema: market
                    staging_connection: s3
                    staging_bucket: %s
                    staging_prefix: wh
                    slices: 2
                    multipart_part_mb: 5
                    tables:
                      - {source: src_eu, table: market.fills, key: [exec_id], partition_column: ts}
                """.formatted(bucket));
        env.putAll(TestS3.env());
        env.put("TRIBUTARY_CONN_SRC_EU", source.uri());
        env.put("TRIBUTARY_CONN_WAREHOUSE", warehouse.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", warehouse.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    @AfterAll
    static void tearDown() {
        if (store != null) {
            store.list(new S3Location(bucket, "")).forEach(o -> store.delete(new S3Location(bucket, o.key())));
            store.close();
        }
        if (source != null) {
            source.close();
        }
        if (warehouse != null) {
            warehouse.close();
        }
    }

    static CliRun stageSeries() {
        List<String> args = new ArrayList<>(List.of("stage", "--config", config.toString(), "--source", "src_eu",
                "--table", "market.fills", "--run-id", "junit-series"));
        DAYS.forEach(d -> args.addAll(List.of("--partition", d)));
        return CliRun.run(env, args.toArray(String[]::new));
    }

    static CliRun loadSeries(JsonNode staged) {
        List<String> args = new ArrayList<>(List.of("load", "--config", config.toString(), "--source", "src_eu",
                "--table", "market.fills", "--run-id", "junit-series"));
        for (int i = 0; i < DAYS.size(); i++) {
            args.addAll(List.of("--manifest", staged.get("partitions").get(i).get("manifest").asText(),
                    "--partition", DAYS.get(i)));
        }
        return CliRun.run(env, args.toArray(String[]::new));
    }

    static String bounds(int day) {
        String[] w = DAYS.get(day).split("=")[1].split("/");
        return "ts >= '" + w[0] + "' AND ts < '" + w[1] + "'";
    }

    @Test
    @Order(1)
    void eachDayIsStagedAsItsOwnPartitionAndTheSeriesSaysWhatItLeftOut() throws Exception {
        CliRun run = stageSeries();
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode r = run.json();
        JsonNode parts = r.get("partitions");
        assertEquals(3, parts.size());
        long sum = 0;
        for (int i = 0; i < 3; i++) {
            JsonNode p = parts.get(i);
            assertEquals("d" + (i + 1), p.get("name").asText());
            assertEquals(source.count("SELECT count(*) FROM market.fills WHERE " + bounds(i)), p.get("rows").asLong());
            assertEquals("s3://" + bucket + "/wh/src_eu/market.fills/d" + (i + 1) + "/manifest",
                    p.get("manifest").asText());
            assertTrue(store.head(S3Location.parse(p.get("manifest").asText(), "m")).isPresent());
            sum += p.get("rows").asLong();
        }
        assertEquals(sum, r.get("rows").asLong());
        assertEquals(source.count("SELECT count(*) FROM market.fills"), r.get("table_rows").asLong());
        long outside = source.count("SELECT count(*) FROM market.fills WHERE ts < '2026-06-01' OR ts >= '2026-06-04'");
        assertTrue(outside > 1, "the fixture leaves rows outside the series");
        assertEquals(outside, r.get("rows_outside").asLong());
        assertEquals(3, warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions WHERE status = 'staged'"));
    }

    @Test
    @Order(2)
    void eachDayLoadsInItsOwnVerifiedTransaction() throws Exception {
        JsonNode staged = stageSeries().json();
        CliRun run = loadSeries(staged);
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode r = run.json();
        assertTrue(r.get("verified").asBoolean());
        assertEquals(staged.get("checksum").asText(), r.get("checksum").asText());
        for (int i = 0; i < 3; i++) {
            JsonNode p = r.get("partitions").get(i);
            assertTrue(p.get("verified").asBoolean());
            assertEquals(staged.get("partitions").get(i).get("checksum").asText(), p.get("checksum").asText());
            assertEquals(source.count("SELECT count(*) FROM market.fills WHERE " + bounds(i)),
                    warehouse.count("SELECT count(*) FROM market.fills WHERE " + bounds(i)));
        }
        assertEquals(staged.get("rows").asLong(), warehouse.count("SELECT count(*) FROM market.fills"));
        assertEquals(3, warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions"
                + " WHERE status = 'loaded' AND target_checksum = source_checksum"));

        CliRun again = loadSeries(stageSeries().json()); // the same series again: replaced, not appended
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals(r.get("checksum").asText(), again.json().get("checksum").asText());
        assertEquals(staged.get("rows").asLong(), warehouse.count("SELECT count(*) FROM market.fills"));
        assertEquals(3, warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions WHERE loads = 2"));
    }

    @Test
    @Order(3)
    void aDayThatDoesNotVerifyIsRolledBackAndTheOthersStillLand() throws Exception {
        source.execute("INSERT INTO market.fills VALUES ('LATE', 'AAPL', 1, '2026-06-01 08:00+00')");
        JsonNode staged = stageSeries().json();
        JsonNode d2 = staged.get("partitions").get(1);
        S3Location receipt = S3Location.parse(d2.get("manifest").asText().replace("manifest", "stage.json"), "r");
        String json = new String(store.getBytes(receipt), StandardCharsets.UTF_8);
        store.put(receipt, json.replace(d2.get("checksum").asText(), "0000000000000001")
                .getBytes(StandardCharsets.UTF_8), "application/json", ObjectOptions.NONE);
        long d2Before = warehouse.count("SELECT count(*) FROM market.fills WHERE " + bounds(1));

        CliRun run = loadSeries(staged);
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode r = run.json();
        assertEquals(List.of("d2"), List.of(r.get("mismatched").get(0).asText()));
        assertEquals(1, r.get("mismatched").size());
        assertFalse(r.get("partitions").get(1).get("verified").asBoolean());
        assertTrue(r.get("partitions").get(2).get("verified").asBoolean(), "d3 still loaded after d2 failed");
        assertEquals(d2Before, warehouse.count("SELECT count(*) FROM market.fills WHERE " + bounds(1)));
        assertEquals(1, warehouse.count("SELECT count(*) FROM market.fills WHERE exec_id = 'LATE'"),
                "d1 landed, with its late row");
        assertEquals("mismatch", warehouse.query("SELECT status FROM tributary.warehouse_partitions"
                + " WHERE from_ts = '2026-06-02T00:00:00+00:00'"));
        assertEquals(3, warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions WHERE loads = 3"));
    }

    @Test
    @Order(4)
    void aSeriesNeedsOneManifestPerPartition() {
        CliRun run = CliRun.run(env, "load", "--config", config.toString(), "--source", "src_eu", "--table",
                "market.fills", "--manifest", "s3://" + bucket + "/wh/src_eu/market.fills/d1/manifest",
                "--partition", DAYS.get(0), "--partition", DAYS.get(1));
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("one --manifest per --partition"), run.toString());
    }
}
