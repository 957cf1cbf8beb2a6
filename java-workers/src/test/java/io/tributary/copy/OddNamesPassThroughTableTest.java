package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.TableRef;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, "names that cannot be addressed" (pgcopydb's 4-list-table-split.sql, 6-multiline-table-name.sql): the
 * tables discovery inventories can all be named through {@code --table}, quoted the way PostgreSQL quotes them,
 * copied, verified and checksummed; the result names them in the same form, which parses back.
 */
@RequiresPostgres
class OddNamesPassThroughTableTest {
    private static final String MULTILINE = "with MyTableName\n\n     AS (SELECT row_id\n\n  ";

    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("odd_names", dir);
        db.source.execute(
                "CREATE SCHEMA \"Sp1eCial .Char\"",
                "CREATE TABLE \"Sp1eCial .Char\".\"source1testing\" (\"s0\" int PRIMARY KEY, \"s1\" int NOT NULL)",
                "INSERT INTO \"Sp1eCial .Char\".\"source1testing\" SELECT x, (x * 2) % 100000"
                        + " FROM generate_series(1, 10000) AS t(x)",
                "CREATE TABLE \"Sp1eCial .Char\".\"Tabl e.1testing\" (\"iD\" int PRIMARY KEY, \"regId\" int,"
                        + " \"status\" int, \"nA M.e\" character varying(20) NOT NULL)",
                "INSERT INTO \"Sp1eCial .Char\".\"Tabl e.1testing\" SELECT x, x, x % 100, 'Name ' || x"
                        + " FROM generate_series(1, 10000) AS t(x)",
                "CREATE TABLE public.\"\"\"dqname\"\"\" (id integer)",
                "INSERT INTO public.\"\"\"dqname\"\"\" SELECT generate_series(1, 10)",
                "CREATE TABLE public.\"" + MULTILINE + "\" (row_id uuid NOT NULL)",
                "INSERT INTO public.\"" + MULTILINE + "\" SELECT md5(g::text)::uuid FROM generate_series(1, 7) g",
                "CREATE TABLE public.\"Mixed.Case=Table@x\" (\"Id\" int)",
                "INSERT INTO public.\"Mixed.Case=Table@x\" VALUES (1), (2)",
                "CREATE TABLE public.\"Données\" (clé text)",
                "INSERT INTO public.\"Données\" VALUES ('été')");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "~\"Sp1eCial .Char\".\"Tabl e.1testing\"~ | 10000",
        "~\"Sp1eCial .Char\".source1testing~ | 10000",
        "~public.\"\"\"dqname\"\"\"~ | 10",
        "~public.\"Mixed.Case=Table@x\"~ | 2",
        "~public.Données~ | 1"})
    void copiedAndCheckedByTheirQuotedName(String table, long rows) {
        CliRun run = db.copy(table, "--chunk-rows", "2000");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(rows, run.json().get("rows").asLong());
        assertEquals(run.json().get("checksum").asText(), run.json().get("target_checksum").asText());
        // the result names the table in the form --table takes
        assertEquals(TableRef.parse(table, "--table"), TableRef.parse(run.json().get("table").asText(), "table"));
        CliRun target = CliRun.run(db.env(), "checksum", "--conn", "consolidated", "--table",
                run.json().get("target_table").asText());
        assertEquals(0, target.exitCode(), target.toString());
        assertEquals(run.json().get("checksum").asText(), target.json().get("checksum").asText());
    }

    @Test
    void aTableNameWithNewlines() {
        String table = new TableRef("public", MULTILINE).toString();
        assertTrue(table.startsWith("public.\"with MyTableName\n"), table);
        CliRun run = db.copy(table);
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(7, run.json().get("rows").asLong());
        assertEquals(7, db.target.count("SELECT count(*) FROM public.\"" + MULTILINE + "\""));
    }

    @Test
    void anUnquotedNameWithASpaceIsBadInputNamingIt() {
        CliRun run = db.copy("Sp1eCial .Char.source1testing"); // "Sp1eCial " ends with a space
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("must be inside double quotes"), run.toString());
    }
}
