package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code copy --dry-run} says what the copy would do, by the copy's own rules, and changes nothing: no control
 * schema, no table, no ledger or audit row, no truncate; a copy that would be refused is refused the same way.
 */
@RequiresPostgres
class CopyDryRunChangesNothingTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    /** Every relation of the target and, where the control schema exists, the rows of each of its tables. */
    private static final String TARGET_STATE = """
            SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text
                              || CASE WHEN n.nspname IN ('tributary', 'public') AND c.relkind = 'r'
                                      THEN ':' || (xpath('/row/c/text()', query_to_xml(
                                               format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname),
                                               false, true, '')))[1]::text
                                      ELSE '' END, ',' ORDER BY n.nspname, c.relname)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')""";

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("dryrun", dir);
        db.source.execute(
                "CREATE TABLE public.trades (id bigint PRIMARY KEY, symbol text, qty int)",
                "INSERT INTO public.trades SELECT g, 'S' || (g % 7), g FROM generate_series(1, 1000) g",
                "CREATE TABLE public.accounts (id int PRIMARY KEY, name text)",
                "INSERT INTO public.accounts SELECT g, 'a' || g FROM generate_series(1, 50) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aFirstCopyIsPlannedButNothingIsCreated() {
        String before = db.target.query(TARGET_STATE);
        CliRun dry = db.copy("public.trades", "--dry-run", "--chunk-rows", "300", "--parallelism", "2");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertEquals("dry-run", dry.json().get("status").asText());
        assertEquals("copy", dry.json().get("action").asText());
        assertEquals(1000, dry.json().get("rows").asLong());
        assertEquals(4, dry.json().get("chunks").asInt(), dry.toString());
        assertEquals("id", dry.json().get("chunk_key").asText());
        assertEquals(2, dry.json().get("parallelism").asInt());
        assertFalse(dry.json().get("target_exists").asBoolean());
        assertTrue(dry.json().get("select").asText().contains("\"trades\""), dry.toString());
        assertEquals(before, db.target.query(TARGET_STATE), "the target, control schema included, is unchanged");
    }

    @Test
    void aCopiedTableWouldBeSkippedAndATruncateIsOnlyAnnounced() {
        assertEquals(0, db.copy("public.accounts").exitCode());
        String before = db.target.query(TARGET_STATE);

        CliRun again = db.copy("public.accounts", "--dry-run");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("skip", again.json().get("action").asText());

        CliRun truncate = db.copy("public.accounts", "--dry-run", "--truncate");
        assertEquals(0, truncate.exitCode(), truncate.toString());
        assertEquals("truncate then copy", truncate.json().get("action").asText());
        assertEquals(50, truncate.json().get("target_rows").asLong());
        assertEquals(before, db.target.query(TARGET_STATE), "no row removed, no audit or ledger row written");
    }

    @Test
    void aCopyThatWouldBeRefusedIsRefusedTheSameWayWithNothingChanged() {
        db.target.execute("CREATE TABLE public.occupied (id int PRIMARY KEY)",
                "INSERT INTO public.occupied SELECT generate_series(1, 7)");
        db.source.execute("CREATE TABLE public.occupied (id int PRIMARY KEY)",
                "INSERT INTO public.occupied SELECT generate_series(1, 3)");
        String before = db.target.query(TARGET_STATE);

        CliRun dry = db.copy("public.occupied", "--dry-run");
        assertEquals(2, dry.exitCode(), dry.toString());
        assertEquals(before, db.target.query(TARGET_STATE), "nothing changed");
        CliRun real = db.copy("public.occupied");
        assertEquals(2, real.exitCode(), real.toString());
        assertEquals(real.json().get("error").asText(), dry.json().get("error").asText());
    }
}
