package io.tributary.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A (text, int) primary key: segments by quantiles and tuple comparisons, several passes, exact keys. */
@RequiresPostgres
class DiffWorksOnCompositeTextKeysTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    static final String ROWS = "INSERT INTO public.orders SELECT 'region-' || (g % 40), g / 40, g * 1.5,"
            + " date '2024-01-01' + (g % 365) FROM generate_series(0, 59999) g";

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("diff_composite", dir);
        String ddl = "CREATE TABLE public.orders (region text, seq int, amount numeric, day date,"
                + " PRIMARY KEY (region, seq))";
        db.source.execute(ddl, ROWS);
        db.target.execute(ddl, ROWS,
                "UPDATE public.orders SET day = day + 1 WHERE region = 'region-7' AND seq = 100",
                "DELETE FROM public.orders WHERE region = 'region-39' AND seq = 1499",
                "INSERT INTO public.orders VALUES ('region-12', 5000, 1, '2024-01-01'), ('a', 1, NULL, NULL)");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void findsTheCompositeKeys() {
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.orders",
                "--target", "consolidated", "--segments", "8", "--leaf-rows", "500");
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertTrue(json.get("passes").asInt() >= 3, run.toString());
        Map<String, String> found = new TreeMap<>();
        for (JsonNode d : json.get("differences")) {
            JsonNode key = d.get("key");
            found.put(key.get("region").asText() + "/" + key.get("seq").asLong(),
                    d.get("kind").asText() + (d.has("columns") ? " " + d.get("columns") : ""));
        }
        assertEquals(Map.of(
                "region-7/100", "different [\"day\"]",
                "region-39/1499", "missing_on_target",
                "region-12/5000", "extra_on_target",
                "a/1", "extra_on_target"), found, run.toString());
    }

    @Test
    void explicitKeyAndColumnsIgnoreOtherColumns() {
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.orders",
                "--target", "consolidated", "--key", "region,seq", "--columns", "region,seq,amount");
        assertEquals(3, run.exitCode(), run.toString());
        assertEquals(0, run.json().get("different").asLong(), "day is not compared");
        assertEquals(2, run.json().get("extra_on_target").asLong());
    }
}
