package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.WarehouseFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A staged inheritance parent holds its own rows only (issue 15): the Parquet export, the source's figures of the
 * partition and the table's row count read it with ONLY, so the warehouse gets no copy of the children's rows.
 */
@RequiresPostgres
class StageOfAnInheritanceParentKeepsItsOwnRowsTest {
    @TempDir
    static Path dir;
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() {
        fx = new WarehouseFixture("wh_inherit", dir, """
                - {source: src_eu, table: market.ticks, partition_column: ts}
                """);
        fx.source.execute("CREATE SCHEMA market",
                "CREATE TABLE market.ticks (id int, px numeric(12,4), ts timestamptz NOT NULL)",
                "CREATE TABLE market.ticks_archive () INHERITS (market.ticks)",
                "INSERT INTO market.ticks SELECT g, g * 0.5, '2026-06-01 00:00+00'::timestamptz + g * interval '1 minute'"
                        + " FROM generate_series(1, 120) g",
                "INSERT INTO market.ticks_archive SELECT g, g, '2026-06-01 00:00+00'::timestamptz + g * interval '1 minute'"
                        + " FROM generate_series(1, 500) g");
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void theStagedPartitionHoldsTheParentsOwnRows() {
        CliRun run = CliRun.run(fx.env(), "stage", "--config", fx.config.toString(), "--source", "src_eu",
                "--table", "market.ticks", "--run-id", "junit-run",
                "--from", "2026-06-01T00:00:00Z", "--to", "2026-06-02T00:00:00Z");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(120, run.json().get("rows").asLong(), run.toString());
        long filed = 0;
        for (var f : run.json().get("files")) {
            filed += f.get("rows").asLong();
        }
        assertEquals(120, filed);
    }
}
