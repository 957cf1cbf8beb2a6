package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.ledger.RunContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redshift's DISTKEY and SORTKEY are what the user configured (warehouse.tables[] first, then a tables[] rule),
 * never guessed from a column's name: a table holding a `symbol` column and no configured key is DISTSTYLE EVEN.
 */
class DistAndSortKeysComeFromConfigTest {
    @TempDir
    Path dir;

    static final String RECEIPT = """
            {"source": "src_eu", "table": "market.%s", "partition_column": "ts",
             "from": "2026-10-27T00:00Z", "to": "2026-10-28T00:00Z", "rows": 0, "checksum": "0", "hash": "portable",
             "columns": [
               {"name": "symbol", "source_type": "text", "redshift_type": "VARCHAR(65535)", "postgres_type": "text", "json": false},
               {"name": "venue", "source_type": "text", "redshift_type": "VARCHAR(65535)", "postgres_type": "text", "json": false},
               {"name": "ts", "source_type": "timestamp with time zone", "redshift_type": "TIMESTAMPTZ", "postgres_type": "timestamp with time zone", "json": false}]}
            """;

    private String createTarget(String table) throws Exception {
        Path file = dir.resolve("migration.yaml");
        Files.writeString(file, """
                version: 1
                project: test
                control: {connection: consolidated}
                sources: [{id: src_eu}]
                targets:
                  consolidated: {connection: consolidated}
                  warehouse:
                    connection: warehouse
                    dialect: redshift
                    iam_role: arn:aws:iam::123456789012:role/copy
                    staging_connection: s3
                    staging_bucket: staging
                    tables:
                      - {source: src_eu, table: market.fills, partition_column: ts, distkey: venue}
                tables:
                  - {match: "src_eu.market.quotes", distkey: symbol, sortkey: [ts, symbol]}
                """);
        MigrationConfig config = new MigrationConfigLoader().load(file);
        StageReceipt receipt = StageReceipt.parse(RECEIPT.formatted(table).getBytes(StandardCharsets.UTF_8), "stage.json");
        PartitionLoad.Request request = new PartitionLoad.Request(config, "src_eu", new TableRef("market", table), null,
                "s3://staging/m.manifest", "ts", "2026-10-27T00:00:00Z", "2026-10-28T00:00:00Z", false, null,
                new RunContext("r1", "junit", null, null));
        return new PartitionLoad(null, Map.of(), null).plan(request, receipt).step(LoadPlan.Step.Kind.CREATE_TARGET).sql();
    }

    @Test
    void theWarehouseEntryNamesTheDistkey() throws Exception {
        String ddl = createTarget("fills");
        assertTrue(ddl.endsWith("DISTSTYLE KEY DISTKEY (\"venue\") COMPOUND SORTKEY (\"ts\")"), ddl);
    }

    @Test
    void aTablesRuleNamesDistkeyAndSortkey() throws Exception {
        String ddl = createTarget("quotes");
        assertTrue(ddl.endsWith("DISTSTYLE KEY DISTKEY (\"symbol\") COMPOUND SORTKEY (\"ts\", \"symbol\")"), ddl);
    }

    @Test
    void withoutAConfiguredKeyNothingIsGuessedFromNames() throws Exception {
        String ddl = createTarget("ticks");
        assertFalse(ddl.contains("DISTKEY"), ddl);
        assertTrue(ddl.endsWith("DISTSTYLE EVEN COMPOUND SORTKEY (\"ts\")"), ddl);
    }
}
