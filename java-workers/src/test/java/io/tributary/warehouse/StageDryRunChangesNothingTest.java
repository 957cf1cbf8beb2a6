package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stage --dry-run} takes the real stage's decisions on reads only: the same prefix, manifest, figures and
 * file count as the stage that follows it, the same refusal of a column the warehouse cannot hold, and nothing in
 * the bucket or the control schema.
 */
@RequiresPostgres
class StageDryRunChangesNothingTest {
    static final String FROM = "2026-06-01T00:00:00+00:00";
    static final String TO = "2026-06-02T00:00:00+00:00";

    @TempDir
    static Path dir;
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() {
        fx = new WarehouseFixture("stagedry", dir, """
                - {source: src_eu, table: market.fills, partition_column: ts}
                - {source: src_eu, table: market.prices, partition_column: ts}
                """);
        fx.source.execute("CREATE SCHEMA market", "CREATE TABLE market.fills (id bigint, qty numeric(12,2), ts timestamptz)",
                "INSERT INTO market.fills SELECT i, i / 4.0, '2026-06-01 00:00+00'::timestamptz + i * interval '1 minute'"
                        + " FROM generate_series(0, 2999) i",
                "CREATE TABLE market.prices (id int, px numeric, ts timestamptz)");
        fx.store.ensureBucket(fx.bucket);
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    static CliRun stage(String table, String... extra) {
        String[] args = {"stage", "--config", fx.config.toString(), "--source", "src_eu", "--table", table, "--from",
            FROM, "--to", TO, "--run-id", "junit-dry"};
        String[] all = java.util.Arrays.copyOf(args, args.length + extra.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return fx.run(all);
    }

    @Test
    void aDryRunDecidesAsTheStageDoesAndWritesNothing() {
        CliRun dry = stage("market.fills", "--dry-run");
        assertEquals(0, dry.exitCode(), dry.toString());
        JsonNode d = dry.json();
        assertTrue(d.get("dry_run").asBoolean());
        assertEquals(1440, d.get("rows").asLong());
        assertEquals("NUMERIC(12,2)", d.get("columns").get(1).get("redshift_type").asText());
        assertTrue(fx.store.list(new S3Location(fx.bucket, "")).isEmpty(), "nothing in the bucket");
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'tributary'"),
                "no control schema created");

        CliRun real = stage("market.fills");
        assertEquals(0, real.exitCode(), real.toString());
        JsonNode r = real.json();
        assertEquals(r.get("manifest").asText(), d.get("manifest").asText());
        assertEquals(r.get("receipt").asText(), d.get("receipt").asText());
        assertEquals(r.get("rows").asLong(), d.get("rows").asLong());
        assertEquals(r.get("checksum").asText(), d.get("checksum").asText());
        assertEquals(r.get("files").size(), d.get("files").asInt());
        assertEquals(r.get("partition").asText(), d.get("partition").asText());
    }

    @Test
    void aDryRunRefusesWhatTheStageRefuses() {
        CliRun dry = stage("market.prices", "--dry-run");
        CliRun real = stage("market.prices");
        assertEquals(2, dry.exitCode(), dry.toString());
        assertEquals(2, real.exitCode(), real.toString());
        assertEquals(real.json().get("error").asText(), dry.json().get("error").asText());
        assertTrue(dry.json().get("error").asText().contains("unbounded numeric"), dry.toString());
    }
}
