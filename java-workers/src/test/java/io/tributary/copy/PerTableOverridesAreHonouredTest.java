package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tables[] rule's chunk_rows and parallelism tune the copy of the tables it matches (they were accepted by the
 * config schema and read by nothing); other tables keep the defaults; the command line still wins.
 */
@RequiresPostgres
class PerTableOverridesAreHonouredTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSources() throws Exception {
        db = new CopyFixture("overrides", dir);
        Files.writeString(db.config, """
                defaults:
                  chunk_rows: 100000
                  parallelism: 1
                tables:
                  - match: "src_eu.public.big_[ot]*"
                    chunk_rows: 1000
                    parallelism: 3
                """, StandardOpenOption.APPEND);
        for (String table : new String[] {"big_orders", "big_trades", "small_codes"}) {
            db.source.execute("CREATE TABLE public." + table + " (id bigint PRIMARY KEY, v text)",
                    "INSERT INTO public." + table + " SELECT g, 'v' || g FROM generate_series(1, 5000) g");
        }
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aMatchingRuleCutsTheTableItsWay() {
        JsonNode json = copied("public.big_orders");
        assertEquals(5, json.get("chunks").asInt(), json.toString());
        assertEquals(3, json.get("parallelism").asInt(), json.toString());
    }

    @Test
    void aTableNoRuleMatchesKeepsTheDefaults() {
        JsonNode json = copied("public.small_codes");
        assertEquals(1, json.get("chunks").asInt(), json.toString());
        assertEquals(1, json.get("parallelism").asInt(), json.toString());
    }

    @Test
    void theCommandLineWinsOverTheRule() {
        JsonNode json = copied("public.big_trades", "--chunk-rows", "2500", "--parallelism", "2");
        assertEquals(2, json.get("chunks").asInt(), json.toString());
        assertEquals(2, json.get("parallelism").asInt(), json.toString());
    }

    private static JsonNode copied(String table, String... extra) {
        db.target.execute("CREATE TABLE IF NOT EXISTS " + table + " (id bigint PRIMARY KEY, v text)");
        CliRun run = db.copy(table, extra);
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(5000, run.json().get("rows").asLong());
        return run.json();
    }
}
