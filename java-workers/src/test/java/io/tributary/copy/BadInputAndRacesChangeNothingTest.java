package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite's bad input and races for copy: a missing connection variable, a table that vanished between the
 * plan and the copy (both exit 2, naming what is wrong), a second copy into a table another worker is filling
 * (exit 4: retry later) — and in each case nothing changed on the target.
 */
@RequiresPostgres
class BadInputAndRacesChangeNothingTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("badinput", dir);
        db.source.execute("CREATE TABLE public.orders (id int PRIMARY KEY, v text)",
                "INSERT INTO public.orders SELECT g, 'v' || g FROM generate_series(1, 100) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    private static String targetRelations() {
        return db.target.query("SELECT coalesce(string_agg(n.nspname || '.' || c.relname, ',' ORDER BY 1), '')"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'");
    }

    @Test
    void aMissingConnectionVariableIsNamed() {
        Map<String, String> env = new HashMap<>(db.env());
        env.remove("TRIBUTARY_CONN_SRC_EU");
        String before = targetRelations();
        CliRun run = CliRun.run(env, "copy", "--config=" + db.config, "--source", "src_eu", "--table", "public.orders");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("TRIBUTARY_CONN_SRC_EU is not set"), run.toString());
        assertEquals(before, targetRelations());
    }

    @Test
    void aTableThatVanishedSinceThePlanIsNamed() {
        String before = targetRelations();
        CliRun run = db.copy("public.dropped_since_the_plan");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("table public.dropped_since_the_plan does not exist in src_eu", run.json().get("error").asText());
        assertEquals(before, targetRelations());
    }

    @Test
    void aSecondCopyIntoATableBeingFilledWaitsItsTurn() throws Exception {
        // The first copy holds the target table's session lock for as long as it runs; stand in for it.
        try (Connection first = db.target.connect();
                PreparedStatement lock = first.prepareStatement(
                        "SELECT pg_advisory_lock(hashtextextended('tributary copy into public.orders', 0))")) {
            lock.execute();
            CliRun second = db.copy("public.orders");
            assertEquals(4, second.exitCode(), second.toString());
            assertTrue(second.json().get("error").asText().contains("another worker is copying into public.orders"),
                    second.toString());
            assertEquals(0, db.target.count("SELECT count(*) FROM tributary.table_status"
                    + " WHERE source_table = 'public.orders'"), "the second copy recorded nothing");
        }
        CliRun after = db.copy("public.orders");
        assertEquals(0, after.exitCode(), after.toString());
        assertEquals(100, db.target.count("SELECT count(*) FROM public.orders"));
    }
}
