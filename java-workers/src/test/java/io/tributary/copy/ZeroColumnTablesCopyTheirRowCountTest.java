package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 (pgcopydb's 9-table-with-zero-cols.sql): a table without columns failed the copy with a syntax error
 * ({@code COPY t () FROM STDIN}). Its rows are still rows: the copy streams zero-column rows (COPY without a column
 * list) and verifies them by count, the checksum of an empty row being 0.
 */
@RequiresPostgres
class ZeroColumnTablesCopyTheirRowCountTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("nocols", dir);
        db.source.execute("CREATE TABLE public.nocols ()",
                "INSERT INTO public.nocols DEFAULT VALUES", "INSERT INTO public.nocols DEFAULT VALUES",
                "INSERT INTO public.nocols DEFAULT VALUES",
                "CREATE TABLE public.empty_nocols ()");
        db.target.execute("CREATE TABLE public.nocols ()");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void rowsWithoutColumnsAreCopiedAndCounted() {
        CliRun run = db.copy("public.nocols");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(3, run.json().get("rows").asLong());
        assertEquals(run.json().get("checksum").asText(), run.json().get("target_checksum").asText());
        assertEquals(3, db.target.count("SELECT count(*) FROM public.nocols"));
        assertEquals(3, run.json().get("relation_counts").get("pairs").get(0).get("target_rows").asLong());

        CliRun again = db.copy("public.nocols");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("skipped", again.json().get("status").asText());
    }

    @Test
    void aTargetWithoutColumnsIsCreatedWhenMissing() {
        CliRun run = db.copy("public.empty_nocols");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(0, run.json().get("rows").asLong());
        assertEquals("0", db.target.query("SELECT count(*) FROM pg_catalog.pg_attribute"
                + " WHERE attrelid = 'public.empty_nocols'::regclass AND attnum > 0"));
    }
}
