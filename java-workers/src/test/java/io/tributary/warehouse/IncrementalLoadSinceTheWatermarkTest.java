package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental loads for real (source PostgreSQL, S3Proxy, PostgreSQL warehouse): {@code stage --incremental} takes
 * the rows past the stored watermark, {@code load --incremental} upserts them by key in one transaction, verifies
 * the upserted rows and the range they touched before COMMIT, and only then advances the watermark.
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IncrementalLoadSinceTheWatermarkTest {
    @TempDir
    static Path dir;
    static WarehouseFixture fx;
    static final String ROWS = "md5(string_agg(vendor || symbol || ts::text || px::text || received_at::text, ','"
            + " ORDER BY vendor, symbol, ts))";

    @BeforeAll
    static void setUp() throws Exception {
        fx = new WarehouseFixture("whi", dir, """
                - {source: src_eu, table: market.quotes, key: [vendor, symbol, ts], partition_column: ts,
                   watermark_column: received_at}
                - {source: src_eu, table: market.plain, partition_column: ts}
                """);
        fx.source.execute("CREATE SCHEMA market", """
                CREATE TABLE market.quotes (vendor text, symbol text, ts timestamptz, px numeric(18,6) NOT NULL,
                  received_at timestamptz NOT NULL, PRIMARY KEY (vendor, symbol, ts))""", """
                INSERT INTO market.quotes
                SELECT (ARRAY['bbg','rfn'])[1 + i % 2], (ARRAY['AAPL','MSFT','EURUSD'])[1 + i % 3],
                       '2026-06-01 00:00:00+00'::timestamptz + i * interval '113 seconds', 100 + i * 0.01,
                       '2026-06-01 00:00:00.5+00'::timestamptz + i * interval '113 seconds'
                FROM generate_series(0, 2199) i""");
        fx.source.execute("CREATE TABLE market.plain (id int PRIMARY KEY, ts timestamptz)");
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    static CliRun stage() {
        return CliRun.run(fx.env(), "stage", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.quotes", "--incremental", "--run-id", "junit-inc");
    }

    static CliRun load(JsonNode staged) {
        return CliRun.run(fx.env(), "load", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.quotes", "--manifest", staged.get("manifest").asText(), "--incremental", "--run-id",
                "junit-inc");
    }

    static String watermark() {
        return fx.warehouse.query("SELECT watermark FROM tributary.warehouse_watermarks WHERE source_table = 'market.quotes'");
    }

    static void assertWarehouseEqualsSource() {
        assertEquals(fx.source.count("SELECT count(*) FROM market.quotes"),
                fx.warehouse.count("SELECT count(*) FROM market.quotes"));
        assertEquals(fx.source.query("SELECT " + ROWS + " FROM market.quotes"),
                fx.warehouse.query("SELECT " + ROWS + " FROM market.quotes"));
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM (SELECT 1 FROM market.quotes GROUP BY vendor, symbol, ts"
                + " HAVING count(*) > 1) d"), "no key twice");
    }

    @Test
    @Order(1)
    void withoutAWatermarkEverythingUpToTheHighMarkLandsAndTheMarkIsStored() {
        CliRun staged = stage();
        assertEquals(0, staged.exitCode(), staged.toString());
        JsonNode s = staged.json();
        assertEquals(2200, s.get("rows").asLong());
        assertTrue(s.get("incremental").has("watermark_to") && !s.get("incremental").has("watermark_from"),
                "no watermark yet: everything up to the high mark");
        CliRun loaded = load(s);
        assertEquals(0, loaded.exitCode(), loaded.toString());
        JsonNode l = loaded.json();
        assertTrue(l.get("verified").asBoolean());
        assertEquals(s.get("checksum").asText(), l.get("checksum").asText());
        assertEquals(l.get("touched").get("source_checksum").asText(), l.get("touched").get("checksum").asText());
        assertWarehouseEqualsSource();
        assertEquals(fx.source.query("SELECT max(received_at)::text FROM market.quotes"), watermark());
    }

    @Test
    @Order(2)
    void updatesLateRowsAndNewRowsAreUpsertedAndOnlyTheyAreStaged() {
        String before = watermark();
        fx.source.execute(
                // two updates (a re-sent quote), a late row inside the first day, a new row
                "UPDATE market.quotes SET px = px + 1, received_at = '2026-06-05 09:00+00' WHERE ts IN"
                        + " (SELECT ts FROM market.quotes ORDER BY ts LIMIT 2)",
                "INSERT INTO market.quotes VALUES ('bbg', 'TSLA', '2026-06-01 10:00:00.25+00', 250.5,"
                        + " '2026-06-05 09:00:01+00')",
                "INSERT INTO market.quotes VALUES ('rfn', 'AAPL', '2026-06-04 10:00+00', 190, '2026-06-05 09:00:02+00')");
        CliRun staged = stage();
        assertEquals(0, staged.exitCode(), staged.toString());
        JsonNode s = staged.json();
        assertEquals(4, s.get("rows").asLong(), "only the rows past the watermark");
        assertEquals(before, s.get("incremental").get("watermark_from").asText());
        CliRun loaded = load(s);
        assertEquals(0, loaded.exitCode(), loaded.toString());
        JsonNode l = loaded.json();
        assertEquals(4, l.get("rows").asLong());
        assertEquals(2, l.get("deleted_rows").asLong(), "the two updated rows replaced, not duplicated");
        assertEquals(fx.source.count("SELECT count(*) FROM market.quotes WHERE ts >= '2026-06-01' AND ts <= '2026-06-04 10:00+00'"),
                l.get("touched").get("rows").asLong(), "the touched range spans the delta's first to last ts");
        assertWarehouseEqualsSource();
        assertEquals("2026-06-05 09:00:02+00", watermark());
    }

    @Test
    @Order(3)
    void nothingNewIsAnEmptyVerifiedLoadAndTheMarkStays() {
        CliRun staged = stage();
        assertEquals(0, staged.exitCode(), staged.toString());
        assertEquals(0, staged.json().get("rows").asLong());
        CliRun loaded = load(staged.json());
        assertEquals(0, loaded.exitCode(), loaded.toString());
        assertEquals("2026-06-05 09:00:02+00", watermark());
        assertWarehouseEqualsSource();
    }

    @Test
    @Order(4)
    void aWarehouseThatDriftedInTheTouchedRangeFailsAndNothingMoves() {
        // a row changed in the warehouse between the two new rows' times (inside the range the delta touches)
        fx.warehouse.execute("UPDATE market.quotes SET px = 0 WHERE ts > '2026-06-01 11:00+00' AND ts < '2026-06-01 13:00+00'");
        fx.source.execute("INSERT INTO market.quotes VALUES ('bbg', 'NVDA', '2026-06-01 11:00+00', 900, '2026-06-06 09:00+00'),"
                + " ('bbg', 'NVDA', '2026-06-01 13:00+00', 901, '2026-06-06 09:00:01+00')");
        CliRun loaded = load(stage().json());
        assertEquals(3, loaded.exitCode(), loaded.toString());
        assertTrue(loaded.json().get("error").asText().contains("the range it touched"), loaded.toString());
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM market.quotes WHERE symbol = 'NVDA'"), "rolled back");
        assertEquals("2026-06-05 09:00:02+00", watermark(), "the watermark stays until a load verifies");
    }

    @Test
    @Order(5)
    void incrementalNeedsAWatermarkColumnAndAMatchingManifest() {
        CliRun plain = CliRun.run(fx.env(), "stage", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.plain", "--incremental");
        assertEquals(2, plain.exitCode(), plain.toString());
        assertTrue(plain.json().get("error").asText().contains("needs watermark_column"), plain.toString());
        CliRun partition = CliRun.run(fx.env(), "stage", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.quotes", "--from", "2026-06-01T00:00:00+00:00", "--to", "2026-06-02T00:00:00+00:00");
        assertEquals(0, partition.exitCode(), partition.toString());
        CliRun mixed = load(partition.json());
        assertEquals(2, mixed.exitCode(), mixed.toString());
        assertTrue(mixed.json().get("error").asText().contains("--incremental needs a manifest"), mixed.toString());
    }
}
