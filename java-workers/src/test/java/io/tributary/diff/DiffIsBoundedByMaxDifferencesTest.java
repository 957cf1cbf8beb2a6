package io.tributary.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Thousands of differing rows: the diff stops at --max-differences and says truncated. */
@RequiresPostgres
class DiffIsBoundedByMaxDifferencesTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("diff_bounded", dir);
        String ddl = "CREATE TABLE public.m (id int PRIMARY KEY, v text)";
        String rows = "INSERT INTO public.m SELECT g, 'v' || g FROM generate_series(1, 50000) g";
        db.source.execute(ddl, rows);
        db.target.execute(ddl, rows, "UPDATE public.m SET v = 'changed' WHERE id % 10 = 0",
                "DELETE FROM public.m WHERE id % 10 = 5");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void stopsAtMaxDifferences() {
        Path output = dir.resolve("many.json");
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.m",
                "--target", "consolidated", "--max-differences", "250", "--output", output.toString());
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertTrue(json.get("truncated").asBoolean());
        assertEquals(250, json.get("missing_on_target").asLong() + json.get("extra_on_target").asLong()
                + json.get("different").asLong());
        assertEquals(100, json.get("differences").size(), "at most 100 inline");
        assertEquals(250, Discovery.read(output).get("differences").size());
        assertEquals(1, json.get("differences").get(0).get("key").get("id").asLong() / 5, "first keys first");
        assertTrue(json.get("leaf_rows_read").asLong() < 50000, "did not read every row: " + json);
    }

    @Test
    void maxDifferencesMustBePositive() {
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.m",
                "--target", "consolidated", "--max-differences", "0");
        assertEquals(2, run.exitCode(), run.toString());
        CliRun huge = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.m",
                "--target", "consolidated", "--max-differences", "100001");
        assertEquals(2, huge.exitCode(), huge.toString());
        assertTrue(huge.json().get("error").asText().contains("between 1 and 100000"), huge.toString());
    }
}
