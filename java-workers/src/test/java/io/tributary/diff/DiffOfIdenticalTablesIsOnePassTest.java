package io.tributary.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Equal data stored differently (numeric(10,2) vs numeric(12,4), json spelled differently, timestamps
 * written in another zone, rows in another order, NULLs) is identical: one pass, exit 0.
 */
@RequiresPostgres
class DiffOfIdenticalTablesIsOnePassTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("diff_identical", dir);
        db.source.execute(
                "CREATE TABLE public.p (id int PRIMARY KEY, v numeric(10,2), j jsonb, a text[], ts timestamptz, t text)",
                "INSERT INTO public.p SELECT g, g / 4.0, jsonb_build_object('a', g, 'b', 'x'), ARRAY[g::text, NULL],"
                        + " timestamptz '2024-03-01 12:00:00+00' + g * interval '1 minute',"
                        + " CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE 'x' END"
                        + " FROM generate_series(1, 30000) g");
        db.target.execute(
                "CREATE TABLE public.p (id int PRIMARY KEY, v numeric(12,4), j jsonb, a text[], ts timestamptz, t text)",
                "SET TimeZone = 'America/New_York'",
                "INSERT INTO public.p SELECT g, g / 4.0, ('{\"b\": \"x\",   \"a\": ' || g || '}')::jsonb,"
                        + " ARRAY[g::text, NULL], timestamptz '2024-03-01 07:00:00-05' + g * interval '1 minute',"
                        + " CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE 'x' END"
                        + " FROM generate_series(30000, 1, -1) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void identicalInOnePass() {
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.p",
                "--target", "consolidated", "--leaf-rows", "100");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertTrue(json.get("identical").asBoolean());
        assertEquals(1, json.get("passes").asInt());
        assertEquals(30000, json.get("rows_source").asLong());
        assertEquals(json.get("checksum_source").asText(), json.get("checksum_target").asText());
        assertEquals(0, json.get("differences").size());
        assertTrue(run.stderr().contains("identical"), run.stderr());

        // the same checksum `tributary checksum` computes
        CliRun checksum = CliRun.run(db.env(), "checksum", "--conn", "consolidated", "--table", "public.p");
        assertEquals(json.get("checksum_target").asText(), checksum.json().get("checksum").asText());
    }
}
