package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.TableRef;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.s3.ObjectOptions;
import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whoever can write the staging bucket cannot change the warehouse: load takes the expected figures, the column
 * types and the list of files from what {@code stage} recorded in the control schema, and refuses (exit 3, nothing
 * loaded) when the bucket no longer holds exactly that: a forged receipt with data to match, a swapped file, a
 * manifest listing other files. A type name that is not one the dialect creates never reaches DDL (exit 2).
 */
@RequiresPostgres
class LoadTrustsOnlyWhatStageRecordedTest {
    static final String FROM = "2026-06-01T00:00:00+00:00";
    static final String TO = "2026-06-02T00:00:00+00:00";
    static final String NEXT_TO = "2026-06-03T00:00:00+00:00";

    @TempDir
    static Path dir;
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() {
        fx = new WarehouseFixture("trust", dir, "- {source: src_eu, table: market.fills, partition_column: ts}");
        fx.source.execute("CREATE SCHEMA market", "CREATE TABLE market.fills (exec_id text, qty integer, ts timestamptz)",
                "INSERT INTO market.fills SELECT 'E' || i, i, '2026-06-01 00:00+00'::timestamptz + i * interval '1 minute'"
                        + " FROM generate_series(0, 2879) i");
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    @BeforeEach
    void emptyWarehouse() {
        fx.warehouse.execute("DROP SCHEMA IF EXISTS market CASCADE");
    }

    static JsonNode stage(String from, String to) {
        CliRun run = fx.run("stage", "--config", fx.config.toString(), "--source", "src_eu", "--table", "market.fills",
                "--from", from, "--to", to, "--run-id", "junit-trust");
        assertEquals(0, run.exitCode(), run.toString());
        return run.json();
    }

    static CliRun load(JsonNode staged, String from, String to) {
        return fx.run("load", "--config", fx.config.toString(), "--source", "src_eu", "--table", "market.fills",
                "--manifest", staged.get("manifest").asText(), "--from", from, "--to", to, "--run-id", "junit-trust");
    }

    static void assertNothingLoaded() {
        assertEquals(0, fx.warehouse.count("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'market'"),
                "no warehouse table was created or filled");
    }

    static byte[] get(String url) {
        return fx.store.getBytes(S3Location.parse(url, "url"));
    }

    static void put(String url, byte[] content) {
        fx.store.put(S3Location.parse(url, "url"), content, "application/octet-stream", ObjectOptions.NONE);
    }

    @Test
    void aForgedReceiptWithDataToMatchIsRefused() {
        JsonNode day1 = stage(FROM, TO);
        JsonNode day2 = stage(TO, NEXT_TO);
        // The attacker puts day 2's files and a receipt whose figures match them under day 1's prefix: the
        // in-transaction check would pass if load believed the bucket.
        String forged = new String(get(day2.get("receipt").asText()), StandardCharsets.UTF_8)
                .replace(TO, FROM).replace(NEXT_TO, TO);
        put(day1.get("receipt").asText(), forged.getBytes(StandardCharsets.UTF_8));
        put(day1.get("files").get(0).get("url").asText(), get(day2.get("files").get(0).get("url").asText()));

        CliRun run = load(day1, FROM, TO);
        assertEquals(3, run.exitCode(), run.toString());
        String error = run.json().get("error").asText();
        assertTrue(error.contains("changed since `tributary stage` recorded them"), error);
        assertTrue(error.contains("stage.json differs from the receipt stage recorded"), error);
        assertTrue(error.contains("part-00000.parquet was replaced"), error);
        assertNothingLoaded();
    }

    @Test
    void aSwappedFileIsRefusedEvenWithTheSameSize() {
        JsonNode day1 = stage(FROM, TO);
        String url = day1.get("files").get(0).get("url").asText();
        byte[] original = get(url);
        byte[] swapped = original.clone();
        swapped[original.length / 2] ^= 0x01; // same size, other bytes: only the ETag tells
        put(url, swapped);

        CliRun run = load(day1, FROM, TO);
        assertEquals(3, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains(url + " was replaced"), run.toString());
        assertNothingLoaded();

        stage(FROM, TO); // staging again records the files anew: the load then lands, verified
        CliRun again = load(day1, FROM, TO);
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals(1440, fx.warehouse.count("SELECT count(*) FROM market.fills"));
    }

    @Test
    void aManifestListingOtherFilesIsRefused() {
        JsonNode day1 = stage(FROM, TO);
        JsonNode day2 = stage(TO, NEXT_TO);
        put(day1.get("manifest").asText(), get(day2.get("manifest").asText()));

        CliRun run = load(day1, FROM, TO);
        assertEquals(3, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("lists other files than stage wrote"), run.toString());
        assertNothingLoaded();
    }

    @Test
    void aManifestStageNeverWroteIsRefused() {
        JsonNode day1 = stage(FROM, TO);
        String elsewhere = day1.get("manifest").asText().replace("/wh/", "/forged/");
        put(elsewhere, get(day1.get("manifest").asText()));
        put(elsewhere.replace("manifest", "stage.json"), get(day1.get("receipt").asText()));

        CliRun run = fx.run("load", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.fills", "--manifest", elsewhere, "--from", FROM, "--to", TO);
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("no stage of " + elsewhere + " is recorded"),
                run.toString());
        assertNothingLoaded();
    }

    @Test
    void anInjectedTypeNameNeverReachesDdl() {
        JsonNode day1 = stage(FROM, TO);
        String injected = "integer); DROP TABLE tributary.warehouse_partitions; --";
        // In the bucket it is a changed receipt (exit 3); even recorded in the ledger it is refused (exit 2).
        String receipt = new String(get(day1.get("receipt").asText()), StandardCharsets.UTF_8);
        String forged = receipt.replace("\"postgres_type\" : \"integer\"", "\"postgres_type\" : \"" + injected + "\"");
        assertNotEquals(receipt, forged);
        put(day1.get("receipt").asText(), forged.getBytes(StandardCharsets.UTF_8));
        CliRun run = load(day1, FROM, TO);
        assertEquals(3, run.exitCode(), run.toString());
        assertNothingLoaded();

        String manifest = day1.get("manifest").asText().replace("'", "''");
        fx.warehouse.execute("UPDATE tributary.warehouse_stages SET receipt = '"
                + forged.replace("'", "''") + "'::jsonb WHERE manifest = '" + manifest + "'");
        CliRun ledgerForged = load(day1, FROM, TO);
        assertEquals(2, ledgerForged.exitCode(), ledgerForged.toString());
        assertTrue(ledgerForged.json().get("error").asText().contains("not a postgres column type"),
                ledgerForged.toString());
        assertNothingLoaded();
        assertEquals(1, fx.warehouse.count("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'tributary'"
                + " AND tablename = 'warehouse_partitions'"));
    }

    @Test
    void bothDialectsRefuseATypeTheyDoNotCreate() {
        Partition day = Partition.of("ts", FROM, TO);
        var target = new WarehouseDialect.Target(new TableRef("market", "fills"),
                new TableRef("market", "stage_fills_1"), day, "s3://b/p/manifest", "arn:aws:iam::1:role/r", List.of(),
                List.of("ts"), null);
        for (String bad : List.of("integer); DROP TABLE x; --", "text DEFAULT pg_sleep(1)", "INTEGER, evil INTEGER",
                "VARCHAR(10) ENCODE RAW, x INT", "")) {
            List<StagedColumn> columns = List.of(new StagedColumn("a", "integer", bad, bad, false));
            for (WarehouseDialect d : List.of(new PostgresDialect(), new RedshiftDialect())) {
                JobFailure f = assertThrows(JobFailure.class, () -> d.plan(target, columns), d.name() + ": " + bad);
                assertEquals(ExitCode.BAD_INPUT, f.exitCode());
            }
        }
        // what stage's type mapping produces passes
        List<StagedColumn> fine = List.of(new StagedColumn("a", "numeric(18,4)", "NUMERIC(18,4)", "numeric(18,4)", false),
                new StagedColumn("b", "character varying(20)", "VARCHAR(80)", "character varying(20)", false),
                new StagedColumn("c", "timestamp with time zone", "TIMESTAMPTZ", "timestamp with time zone", false),
                new StagedColumn("d", "uuid", "CHAR(36)", "uuid", false),
                new StagedColumn("e", "bytea", "VARBYTE(1024000)", "bytea", false),
                new StagedColumn("ts", "jsonb", "VARCHAR(65535)", "text", true));
        new PostgresDialect().plan(target, fine);
        new RedshiftDialect().plan(target, fine);
    }
}
