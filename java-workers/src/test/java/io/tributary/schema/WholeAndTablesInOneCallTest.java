package io.tributary.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One {@code schema} call, as the consolidate DAG makes it: {@code --whole --source whole_src} (restored from its own
 * pg_dump: its comment and its own constraint name kept) and {@code --table other:...} (built table by table, under
 * a new name). A {@code --table} of a whole source, or one going into a whole source's table, is exit 2 with
 * nothing created.
 */
@RequiresPostgres
class WholeAndTablesInOneCallTest {
    @TempDir
    static Path dir;
    static ScratchDatabase whole;
    static ScratchDatabase other;
    static ScratchDatabase target;
    static Path config;
    static final Map<String, String> env = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        whole = TestPostgres.createDatabase("whole_src");
        other = TestPostgres.createDatabase("whole_other");
        target = TestPostgres.createDatabase("whole_dst");
        whole.execute("CREATE SCHEMA app",
                "CREATE TABLE app.notes (id int CONSTRAINT notes_own_pk_name PRIMARY KEY, body text)",
                "COMMENT ON TABLE app.notes IS 'kept by the restore'",
                "INSERT INTO app.notes SELECT g, 'n' || g FROM generate_series(1, 10) g");
        other.execute("CREATE SCHEMA shop",
                "CREATE TABLE shop.orders (id int PRIMARY KEY, total numeric(12,2))",
                "INSERT INTO shop.orders SELECT g, g FROM generate_series(1, 5) g");
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                project: test
                control:
                  connection: consolidated
                  schema: tributary
                sources:
                  - id: whole_src
                  - id: other
                targets:
                  consolidated:
                    connection: consolidated
                """);
        env.put("TRIBUTARY_CONN_WHOLE_SRC", whole.uri());
        env.put("TRIBUTARY_CONN_OTHER", other.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    @AfterAll
    static void drop() {
        for (ScratchDatabase db : new ScratchDatabase[] {whole, other, target}) {
            if (db != null) {
                db.close();
            }
        }
    }

    private static CliRun schema(String phase, String... more) {
        String[] args = new String[5 + more.length];
        args[0] = "schema";
        args[1] = "--config=" + config;
        args[2] = "--phase";
        args[3] = phase;
        args[4] = "--whole";
        System.arraycopy(more, 0, args, 5, more.length);
        return CliRun.run(env, args);
    }

    @Test
    void aWholeSourceAndAnotherSourcesTablesInOneCall() {
        CliRun mergedIntoWhole = schema("pre-data", "--source", "whole_src", "--table", "other:shop.orders=app.notes");
        assertEquals(2, mergedIntoWhole.exitCode(), mergedIntoWhole.toString());
        assertTrue(mergedIntoWhole.stdout().contains("which is restored whole"), mergedIntoWhole.toString());
        CliRun ownTable = schema("pre-data", "--source", "whole_src", "--table", "whole_src:app.notes");
        assertEquals(2, ownTable.exitCode(), ownTable.toString());
        CliRun noSource = schema("pre-data", "--table", "other:shop.orders");
        assertEquals(2, noSource.exitCode(), noSource.toString());
        assertEquals("0", target.query("SELECT count(*) FROM pg_class WHERE relnamespace IN"
                + " (SELECT oid FROM pg_namespace WHERE nspname IN ('app', 'shop', 'sales'))"), "nothing created");

        CliRun pre = schema("pre-data", "--source", "whole_src", "--table", "other:shop.orders=sales.orders");
        assertEquals(0, pre.exitCode(), pre.toString());
        assertEquals("whole_src", pre.json().get("restored_from_pg_dump").get(0).asText(), pre.toString());
        assertEquals("kept by the restore", target.query("SELECT obj_description('app.notes'::regclass)"));
        assertEquals("t", target.query("SELECT to_regclass('sales.orders') IS NOT NULL"));
        CliRun again = schema("pre-data", "--source", "whole_src", "--table", "other:shop.orders=sales.orders");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("unchanged", again.json().get("status").asText(), again.toString());

        for (String[] copy : new String[][] {{"whole_src", "app.notes", "app.notes"}, {"other", "shop.orders", "sales.orders"}}) {
            CliRun c = CliRun.run(env, "copy", "--config=" + config, "--source", copy[0], "--table", copy[1],
                    "--target-table", copy[2]);
            assertEquals(0, c.exitCode(), c.toString());
        }
        CliRun post = schema("post-data", "--source", "whole_src", "--table", "other:shop.orders=sales.orders");
        assertEquals(0, post.exitCode(), post.toString());
        assertEquals("notes_own_pk_name", target.query("SELECT conname FROM pg_constraint WHERE conrelid = 'app.notes'::regclass"
                + " AND contype = 'p'"));
        assertEquals("1", target.query("SELECT count(*) FROM pg_constraint WHERE conrelid = 'sales.orders'::regclass"
                + " AND contype = 'p'"));
    }
}
