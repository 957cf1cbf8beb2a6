package io.tributary.discover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresPostgres
class PartitionedTableIsOneLogicalTableTest {
    @TempDir
    static Path dir;
    static ScratchDatabase db;
    static JsonNode inventory;

    @BeforeAll
    static void createPartitioned() {
        db = TestPostgres.createDatabase("discover_partitioned");
        db.execute(
                "CREATE SCHEMA market",
                "CREATE TABLE market.fills (exec_id text NOT NULL, ts timestamptz NOT NULL, qty numeric(18,4),"
                        + " PRIMARY KEY (exec_id, ts)) PARTITION BY RANGE (ts)",
                "CREATE TABLE market.fills_2026_05 PARTITION OF market.fills FOR VALUES FROM ('2026-05-01') TO ('2026-06-01')",
                "CREATE TABLE market.fills_2026_06 PARTITION OF market.fills FOR VALUES FROM ('2026-06-01') TO ('2026-07-01')",
                "CREATE TABLE market.fills_2026_07 PARTITION OF market.fills FOR VALUES FROM ('2026-07-01') TO ('2026-08-01')",
                "CREATE TABLE market.fills_default PARTITION OF market.fills DEFAULT",
                "CREATE INDEX fills_ts_idx ON market.fills (ts)",
                "INSERT INTO market.fills SELECT 'E' || g, '2026-05-01'::timestamptz + g * interval '10 minutes', g"
                        + " FROM generate_series(0, 8000) g", // May..Jun; nothing in July or default
                "ANALYZE");
        Discovery.executeAndFlush(db, "SELECT count(*) FROM market.fills_2026_05", "SELECT count(*) FROM market.fills_2026_06");
        inventory = Discovery.discover(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), "scratch", dir);
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void partitionsAreListedUnderTheTableNotAsTables() {
        assertEquals(1, inventory.get("tables").size(), inventory.get("tables").toString());
        assertNull(Discovery.table(inventory, "market.fills_2026_05"));
        JsonNode fills = Discovery.table(inventory, "market.fills");
        assertEquals("partitioned", fills.get("kind").asText());
        assertEquals("RANGE (ts)", fills.get("partition_key").asText());
        JsonNode parts = fills.get("partitions");
        assertEquals(4, parts.size());
        assertEquals("fills_2026_05", parts.get(0).get("name").asText());
        assertEquals("FOR VALUES FROM ('2026-05-01 00:00:00+00') TO ('2026-06-01 00:00:00+00')",
                parts.get(0).get("bound").asText());
        assertEquals("DEFAULT", parts.get(3).get("bound").asText(), "the default partition comes last");
        assertEquals("[\"exec_id\",\"ts\"]", fills.get("primary_key").toString());
    }

    @Test
    void sizesAndUsageAreTheSumOfThePartitions() {
        JsonNode fills = Discovery.table(inventory, "market.fills");
        assertEquals(8001, fills.get("size").get("rows_estimate").asLong());
        long partBytes = 0;
        for (JsonNode p : fills.get("partitions")) {
            partBytes += p.get("total_bytes").asLong();
        }
        assertEquals(partBytes, fills.get("size").get("total_bytes").asLong());
        assertTrue(fills.get("usage").get("seq_scan").asLong() >= 2, fills.get("usage").toString());
        assertEquals(8001, fills.get("usage").get("n_tup_ins").asLong());
    }

    @Test
    void timeSpanAndProfileCoverAllPartitions() {
        JsonNode fills = Discovery.table(inventory, "market.fills");
        JsonNode span = fills.get("profile").get("time_span");
        assertEquals("ts", span.get("column").asText());
        assertEquals("index", span.get("source").asText());
        assertTrue(span.get("min").asText().startsWith("2026-05-01T00:00:00"), span.toString());
        assertTrue(span.get("max").asText().startsWith("2026-06-25T13:20:00"), span.toString());
        assertTrue(fills.get("profile").get("columns").has("qty"));
    }
}
