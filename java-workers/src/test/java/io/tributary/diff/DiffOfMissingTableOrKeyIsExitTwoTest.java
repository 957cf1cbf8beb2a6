package io.tributary.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input is exit 2 with a one-line message naming what is missing. */
@RequiresPostgres
class DiffOfMissingTableOrKeyIsExitTwoTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("diff_bad_input", dir);
        db.source.execute("CREATE TABLE public.nokey (a int, b text)", "CREATE TABLE public.k (id int PRIMARY KEY)");
        db.target.execute("CREATE TABLE public.nokey (a int, b text)");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    private static CliRun diff(String table, String... extra) {
        List<String> args = new ArrayList<>(List.of("diff", "--source", "src_eu", "--target", "consolidated",
                "--table", table));
        args.addAll(List.of(extra));
        return CliRun.run(db.env(), args.toArray(String[]::new));
    }

    @Test
    void missingTargetTable() {
        CliRun run = diff("public.k");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("table public.k does not exist in consolidated", run.json().get("error").asText());
    }

    @Test
    void missingSourceTable() {
        CliRun run = diff("public.nope");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("does not exist in src_eu"), run.toString());
    }

    @Test
    void noPrimaryKeyAndNoKeyOption() {
        CliRun run = diff("public.nokey");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("pass --key"), run.toString());
    }

    @Test
    void unknownKeyColumn() {
        CliRun run = diff("public.nokey", "--key", "zz");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("key column zz does not exist"), run.toString());
    }

    @Test
    void explicitKeyOnTablesWithoutPrimaryKey() {
        CliRun run = diff("public.nokey", "--key", "a");
        assertEquals(0, run.exitCode(), run.toString());
    }

    @Test
    void noTargetAndNoConfig() {
        Map<String, String> env = new HashMap<>(db.env());
        CliRun run = CliRun.run(env, "diff", "--source", "src_eu", "--table", "public.k");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("--target"), run.toString());
    }
}
