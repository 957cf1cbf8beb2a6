package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new WarehouseFixture("whs", dir, """
                - {source: src_eu, table: market.fills, key: [exec_id], partition_column: ts}
                """);
        fx.source.execute("CREATE SCHEMA market", """
                CREATE TABLE market.fills (exec_id text PRIMARY KEY, symbol text NOT NULL,
                  price numeric(18,6) NOT NULL, ts timestamptz NOT NULL)""", """
                INSERT INTO market.fills
                SELECT 'E' || i, (ARRAY['AAPL','MSFT','BTC-USD'])[1 + i % 3], 100 + i * 0.0001,
                       '2026-06-01 00:00:00+00'::timestamptz + i * interval '97 seconds'
                FROM generate_series(0, 2999) i""", // 3 days and a bit: the rest lies outside the series
                "INSERT INTO market.fills VALUES ('OLD', 'AAPL', 1, '2026-05-01 12:00+00')");
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    static CliRun stageSeries() {
        List<String> args = new ArrayList<>(List.of("stage", "--config", fx.config.toString(), "--source", "src_eu",
                "--table", "market.fills", "--run-id", "junit-series"));
        DAYS.forEach(d -> args.addAll(List.of("--partition", d)));
        return CliRun.run(fx.env(), args.toArray(String[]::new));
    }

    static CliRun loadSeries(JsonNode staged) {
        List<String> args = new ArrayList<>(List.of("load", "--config", fx.config.toString(), "--source", "src_eu",
                "--table", "market.fills", "--run-id", "junit-series"));
        for (int i = 0; i < DAYS.size(); i++) {
            args.addAll(List.of("--manifest", staged.get("partitions").get(i).get("manifest").asText(),
                    "--partition", DAYS.get(i)));
        }
        return CliRun.run(fx.env(), args.toArray(String[]::new));
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
            assertEquals(fx.source.count("SELECT count(*) FROM market.fills WHERE " + bounds(i)), p.get("rows").asLong());
            assertEquals("s3://" + fx.bucket + "/wh/src_eu/market.fills/d" + (i + 1) + "/manifest",
                    p.get("manifest").asText());
            assertTrue(fx.store.head(S3Location.parse(p.get("manifest").asText(), "m")).isPresent());
            sum += p.get("rows").asLong();
        }
        assertEquals(sum, r.get("rows").asLong());
        assertEquals(fx.source.count("SELECT count(*) FROM market.fills"), r.get("table_rows").asLong());
        long outside = fx.source.count("SELECT count(*) FROM market.fills WHERE ts < '2026-06-01' OR ts >= '2026-06-04'");
        assertTrue(outside > 1, "the fixture leaves rows outside the series");
        assertEquals(outside, r.get("rows_outside").asLong());
        assertEquals(3, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions WHERE status = 'staged'"));
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
            assertEquals(fx.source.count("SELECT count(*) FROM market.fills WHERE " + bounds(i)),
                    fx.warehouse.count("SELECT count(*) FROM market.fills WHERE " + bounds(i)));
        }
        assertEquals(staged.get("rows").asLong(), fx.warehouse.count("SELECT count(*) FROM market.fills"));
        assertEquals(3, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions"
                + " WHERE status = 'loaded' AND target_checksum = source_checksum"));

        CliRun again = loadSeries(stageSeries().json()); // the same series again: replaced, not appended
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals(r.get("checksum").asText(), again.json().get("checksum").asText());
        assertEquals(staged.get("rows").asLong(), fx.warehouse.count("SELECT count(*) FROM market.fills"));
        assertEquals(3, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions WHERE loads = 2"));
    }

    @Test
    @Order(3)
    void aDayThatDoesNotVerifyIsRolledBackAndTheOthersStillLand() throws Exception {
        fx.source.execute("INSERT INTO market.fills VALUES ('LATE', 'AAPL', 1, '2026-06-01 08:00+00')");
        JsonNode staged = stageSeries().json();
        JsonNode d2 = staged.get("partitions").get(1);
        // d2's figures as stage recorded them (what load trusts) disagree with what lands.
        String manifest = d2.get("manifest").asText().replace("'", "''");
        fx.warehouse.execute("UPDATE tributary.warehouse_stages SET receipt = jsonb_set(receipt, '{checksum}',"
                + " '\"0000000000000001\"') WHERE manifest = '" + manifest + "'");
        assertEquals(1, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_stages WHERE manifest = '"
                + manifest + "' AND receipt->>'checksum' = '0000000000000001'"));
        // ... and the bucket's copy says the same (else load refuses before loading anything: a changed prefix)
        fx.store.put(S3Location.parse(d2.get("manifest").asText(), "m").sibling("stage.json"),
                fx.warehouse.query("SELECT receipt::text FROM tributary.warehouse_stages WHERE manifest = '" + manifest
                        + "'").getBytes(StandardCharsets.UTF_8), "application/json", ObjectOptions.NONE);
        long d2Before = fx.warehouse.count("SELECT count(*) FROM market.fills WHERE " + bounds(1));

        CliRun run = loadSeries(staged);
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode r = run.json();
        assertEquals(List.of("d2"), List.of(r.get("mismatched").get(0).asText()));
        assertEquals(1, r.get("mismatched").size());
        assertFalse(r.get("partitions").get(1).get("verified").asBoolean());
        assertTrue(r.get("partitions").get(2).get("verified").asBoolean(), "d3 still loaded after d2 failed");
        assertEquals(d2Before, fx.warehouse.count("SELECT count(*) FROM market.fills WHERE " + bounds(1)));
        assertEquals(1, fx.warehouse.count("SELECT count(*) FROM market.fills WHERE exec_id = 'LATE'"),
                "d1 landed, with its late row");
        assertEquals("mismatch", fx.warehouse.query("SELECT status FROM tributary.warehouse_partitions"
                + " WHERE from_ts = '2026-06-02T00:00:00+00:00'"));
        assertEquals(3, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_partitions WHERE loads = 3"));
    }

    @Test
    @Order(4)
    void aSeriesNeedsOneManifestPerPartition() {
        CliRun run = CliRun.run(fx.env(), "load", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.fills", "--manifest", "s3://" + fx.bucket + "/wh/src_eu/market.fills/d1/manifest",
                "--partition", DAYS.get(0), "--partition", DAYS.get(1));
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("one --manifest per --partition"), run.toString());
    }
}
