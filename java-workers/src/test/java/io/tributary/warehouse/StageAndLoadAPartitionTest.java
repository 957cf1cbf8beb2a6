package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warehouse phase for real on the local stack: a source PostgreSQL, S3Proxy, and a PostgreSQL warehouse
 * (the stand-in dialect), through the CLI as Airflow runs it. The tests build on each other in order.
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StageAndLoadAPartitionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String DAY1_FROM = "2026-06-01T00:00:00+00:00";
    static final String DAY1_TO = "2026-06-02T00:00:00+00:00";
    static final String DAY2_FROM = "2026-06-02T00:00:00+00:00";
    static final String DAY2_TO = "2026-06-03T00:00:00+00:00";

    @TempDir
    static Path dir;
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new WarehouseFixture("wh", dir, """
                - {source: src_eu, table: market.fills, key: [exec_id], partition_column: ts, watermark_column: ts}
                - {source: src_eu, table: market.prices, partition_column: ts}
                """);
        fx.source.execute("CREATE SCHEMA market", """
                CREATE TABLE market.fills (
                  exec_id text PRIMARY KEY, symbol text NOT NULL, side char(1) NOT NULL, qty numeric(18,4) NOT NULL,
                  price numeric(18,6) NOT NULL, ts timestamptz NOT NULL, settle_date date NOT NULL,
                  attrs jsonb, tags text[])""", """
                INSERT INTO market.fills
                SELECT 'E' || i, (ARRAY['AAPL','MSFT','BTC-USD','EURUSD'])[1 + i % 4], CASE WHEN i % 2 = 0 THEN 'B' ELSE 'S' END,
                       (i % 97 + 1) * 1.2500, 100 + i * 0.000123, '2026-06-01 00:00:00+00'::timestamptz + i * interval '73 seconds',
                       date '2026-06-03', CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('venue', 'XNAS', 'n', i) END,
                       CASE WHEN i % 7 = 0 THEN ARRAY['odd "lot"', NULL] END
                FROM generate_series(0, 3499) i""",
                "CREATE TABLE market.prices (id int, px numeric, ts timestamptz)",
                "INSERT INTO market.prices VALUES (1, 1.5, '2026-06-01 12:00+00')");
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    static CliRun stage(String from, String to, String... extra) {
        List<String> args = new ArrayList<>(List.of("stage", "--config", fx.config.toString(), "--source", "src_eu",
                "--table", "market.fills", "--run-id", "junit-run"));
        if (from != null) {
            args.addAll(List.of("--from", from, "--to", to));
        }
        args.addAll(List.of(extra));
        return CliRun.run(fx.env(), args.toArray(String[]::new));
    }

    static CliRun load(JsonNode staged, String from, String to, String... extra) {
        List<String> args = new ArrayList<>(List.of("load", "--config", fx.config.toString(), "--source", "src_eu",
                "--table", "market.fills", "--manifest", staged.get("manifest").asText(), "--run-id", "junit-run"));
        if (from != null) {
            args.addAll(List.of("--from", from, "--to", to));
        } else {
            args.add("--full-reload");
        }
        args.addAll(List.of(extra));
        return CliRun.run(fx.env(), args.toArray(String[]::new));
    }

    static long sourceRows(String from, String to) {
        return fx.source.count("SELECT count(*) FROM market.fills WHERE ts >= '" + from + "' AND ts < '" + to + "'");
    }

    static long warehouseRows(String from, String to) {
        return fx.warehouse.count("SELECT count(*) FROM market.fills WHERE ts >= '" + from + "' AND ts < '" + to + "'");
    }

    @Test
    @Order(1)
    void stageWritesFilesAManifestListingExactlyThemAndTheSourceFigures() throws Exception {
        CliRun run = stage(DAY1_FROM, DAY1_TO);
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode r = run.json();
        assertEquals(sourceRows(DAY1_FROM, DAY1_TO), r.get("rows").asLong());
        assertEquals("portable", r.get("hash").asText());
        assertEquals(16, r.get("checksum").asText().length());
        JsonNode files = r.get("files");
        assertEquals(0, files.size() % 2, "file count is a multiple of the slices");
        long rows = 0;
        TreeSet<String> listed = new TreeSet<>();
        for (JsonNode f : files) {
            rows += f.get("rows").asLong();
            listed.add(f.get("url").asText());
        }
        assertEquals(r.get("rows").asLong(), rows);
        JsonNode manifest = JSON.readTree(fx.store.getBytes(S3Location.parse(r.get("manifest").asText(), "m")));
        TreeSet<String> inManifest = new TreeSet<>();
        for (JsonNode e : manifest.get("entries")) {
            inManifest.add(e.get("url").asText());
            assertTrue(e.get("mandatory").asBoolean());
            assertEquals(fx.store.head(S3Location.parse(e.get("url").asText(), "f")).orElseThrow().contentLength(),
                    e.get("meta").get("content_length").asLong());
        }
        assertEquals(listed, inManifest);
        TreeSet<String> stored = new TreeSet<>();
        String prefix = S3Location.parse(r.get("manifest").asText(), "m").key().replace("manifest", "");
        fx.store.list(new S3Location(fx.bucket, prefix)).forEach(o -> stored.add("s3://" + fx.bucket + "/" + o.key()));
        stored.remove(r.get("manifest").asText());
        stored.remove(r.get("receipt").asText());
        assertEquals(inManifest, stored, "nothing else under the prefix");
        assertEquals("staged", fx.warehouse.query("SELECT status FROM tributary.warehouse_partitions"));
    }

    @Test
    @Order(2)
    void loadLandsThePartitionVerifiedAndAReloadIsIdempotent() throws Exception {
        JsonNode staged = stage(DAY1_FROM, DAY1_TO).json();
        CliRun first = load(staged, DAY1_FROM, DAY1_TO);
        assertEquals(0, first.exitCode(), first.toString());
        JsonNode r = first.json();
        assertTrue(r.get("verified").asBoolean());
        assertEquals(staged.get("rows").asLong(), r.get("rows").asLong());
        assertEquals(staged.get("checksum").asText(), r.get("checksum").asText());
        assertEquals(sourceRows(DAY1_FROM, DAY1_TO), warehouseRows(DAY1_FROM, DAY1_TO));
        // the warehouse holds the same values: compared by the databases' own text, row by row
        assertEquals(fx.source.query("SELECT md5(string_agg(exec_id || price::text || qty::text || ts::text || coalesce("
                + "attrs::text, '-'), ',' ORDER BY exec_id)) FROM market.fills WHERE ts < '" + DAY1_TO + "'"),
                fx.warehouse.query("SELECT md5(string_agg(exec_id || price::text || qty::text || ts::text || coalesce("
                        + "attrs::text, '-'), ',' ORDER BY exec_id)) FROM market.fills"));

        CliRun again = load(stage(DAY1_FROM, DAY1_TO).json(), DAY1_FROM, DAY1_TO);
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals(r.get("checksum").asText(), again.json().get("checksum").asText());
        assertEquals(r.get("rows").asLong(), again.json().get("deleted_rows").asLong(), "replaced, not appended");
        assertEquals(sourceRows(DAY1_FROM, DAY1_TO), warehouseRows(DAY1_FROM, DAY1_TO));
        assertEquals("loaded|2", fx.warehouse.query("SELECT status || '|' || loads FROM tributary.warehouse_partitions"));
        // A daily partition by ts says nothing exact about the watermark column: only incremental loads and
        // whole-table reloads set it (see aFullReloadReplacesTheWholeTable).
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_watermarks"));
    }

    @Test
    @Order(3)
    void lateRowsInAReloadedPartitionLandAndOtherPartitionsStay() throws Exception {
        CliRun day2 = load(stage(DAY2_FROM, DAY2_TO).json(), DAY2_FROM, DAY2_TO);
        assertEquals(0, day2.exitCode(), day2.toString());
        long day2Rows = warehouseRows(DAY2_FROM, DAY2_TO);
        assertEquals(sourceRows(DAY2_FROM, DAY2_TO), day2Rows);

        fx.source.execute("INSERT INTO market.fills VALUES ('LATE-1', 'AAPL', 'B', 1, 190.5, '2026-06-01 10:00:00.123456+00',"
                + " '2026-06-03', '{\"late\": true}', NULL)",
                "UPDATE market.fills SET price = price + 1 WHERE exec_id = 'E10'");
        String before = fx.warehouse.query("SELECT price::text FROM market.fills WHERE exec_id = 'E10'");
        CliRun reload = load(stage(DAY1_FROM, DAY1_TO).json(), DAY1_FROM, DAY1_TO);
        assertEquals(0, reload.exitCode(), reload.toString());
        assertEquals(sourceRows(DAY1_FROM, DAY1_TO), warehouseRows(DAY1_FROM, DAY1_TO));
        assertEquals(1, fx.warehouse.count("SELECT count(*) FROM market.fills WHERE exec_id = 'LATE-1'"));
        assertNotEquals(before, fx.warehouse.query("SELECT price::text FROM market.fills WHERE exec_id = 'E10'"));
        assertEquals(day2Rows, warehouseRows(DAY2_FROM, DAY2_TO), "the other partition is untouched");
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM (SELECT exec_id FROM market.fills GROUP BY exec_id"
                + " HAVING count(*) > 1) d"), "no duplicates");
    }

    @Test
    @Order(4)
    void aMismatchIsExitThreeAndRollsTheLoadBack() throws Exception {
        JsonNode staged = stage(DAY1_FROM, DAY1_TO).json();
        // The source's figures as stage recorded them (what load trusts) disagree with what lands.
        String manifest = staged.get("manifest").asText().replace("'", "''");
        fx.warehouse.execute("UPDATE tributary.warehouse_stages SET receipt = jsonb_set(receipt, '{checksum}',"
                + " '\"0000000000000001\"') WHERE manifest = '" + manifest + "'");
        assertEquals(1, fx.warehouse.count("SELECT count(*) FROM tributary.warehouse_stages WHERE manifest = '"
                + manifest + "' AND receipt->>'checksum' = '0000000000000001'"));
        // ... and the bucket's copy says the same (else load refuses before loading anything: a changed prefix)
        fx.store.put(S3Location.parse(staged.get("manifest").asText(), "m").sibling("stage.json"),
                fx.warehouse.query("SELECT receipt::text FROM tributary.warehouse_stages WHERE manifest = '" + manifest
                        + "'").getBytes(StandardCharsets.UTF_8), "application/json", ObjectOptions.NONE);
        long before = warehouseRows(DAY1_FROM, DAY1_TO);
        String sumBefore = fx.warehouse.query("SELECT md5(string_agg(exec_id, ',' ORDER BY exec_id)) FROM market.fills");

        CliRun run = load(staged, DAY1_FROM, DAY1_TO);
        assertEquals(3, run.exitCode(), run.toString());
        assertEquals("0000000000000001", run.json().get("source_checksum").asText());
        assertEquals(before, warehouseRows(DAY1_FROM, DAY1_TO));
        assertEquals(sumBefore, fx.warehouse.query("SELECT md5(string_agg(exec_id, ',' ORDER BY exec_id)) FROM market.fills"));
        assertEquals("mismatch", fx.warehouse.query("SELECT status FROM tributary.warehouse_partitions"
                + " WHERE partition_label LIKE '2026-06-01T%'"));
    }

    @Test
    @Order(5)
    void aLoadOfAnotherPartitionThanStagedIsRefused() {
        JsonNode staged = stage(DAY1_FROM, DAY1_TO).json();
        CliRun run = load(staged, DAY2_FROM, DAY2_TO);
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("not the partition asked for"), run.toString());
    }

    @Test
    @Order(6)
    void anUnboundedNumericIsRefusedAndNothingIsStaged() {
        CliRun run = CliRun.run(fx.env(), "stage", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.prices", "--from", DAY1_FROM, "--to", DAY1_TO);
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("market.prices.px is an unbounded numeric"), run.toString());
        assertTrue(fx.store.list(new S3Location(fx.bucket, "wh/src_eu/market.prices/")).isEmpty());
        assertFalse(run.stderr().contains("\tat "), "no stack trace for bad input");
    }

    @Test
    @Order(7)
    void aFullReloadReplacesTheWholeTable() {
        CliRun staged = stage(null, null);
        assertEquals(0, staged.exitCode(), staged.toString());
        CliRun run = load(staged.json(), null, null);
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(fx.source.count("SELECT count(*) FROM market.fills"),
                fx.warehouse.count("SELECT count(*) FROM market.fills"));
        assertEquals(staged.json().get("checksum").asText(), run.json().get("checksum").asText());
        assertEquals(fx.source.query("SELECT max(ts)::text FROM market.fills"), fx.warehouse.query(
                "SELECT watermark FROM tributary.warehouse_watermarks WHERE source_table = 'market.fills'"));
    }
}
