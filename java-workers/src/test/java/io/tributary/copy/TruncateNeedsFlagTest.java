package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import java.nio.file.Path;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresPostgres
class TruncateNeedsFlagTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSourceAndAnOccupiedTarget() {
        db = new CopyFixture("truncate", dir);
        db.source.execute(
                "CREATE TABLE public.users (id int PRIMARY KEY, email text)",
                "INSERT INTO public.users SELECT g, 'u' || g FROM generate_series(1, 100) g",
                "CREATE TABLE public.positions (id int PRIMARY KEY, qty int)",
                "INSERT INTO public.positions SELECT g, g FROM generate_series(1, 100) g");
        db.target.execute(
                "CREATE TABLE public.users (id int PRIMARY KEY, email text)",
                "INSERT INTO public.users SELECT g, 'old' || g FROM generate_series(1001, 1123) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void rowsTheLedgerDoesNotAccountForAreRefusedUnlessTruncate() {
        CliRun refused = db.copy("public.users");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertEquals("target public.users already holds 123 rows not written by this run;"
                + " pass --truncate to replace them", refused.json().get("error").asText());
        assertEquals(123, db.target.count("SELECT count(*) FROM public.users"), "nothing changed");
        assertEquals(0, db.target.count("SELECT count(*) FROM tributary.table_status"));

        CliRun replaced = db.copy("public.users", "--truncate");
        assertEquals(0, replaced.exitCode(), replaced.toString());
        assertEquals("copied", replaced.json().get("status").asText());
        assertTrue(replaced.json().get("verified").asBoolean());
        assertEquals(100, db.target.count("SELECT count(*) FROM public.users"));
        assertEquals(0, db.target.count("SELECT count(*) FROM public.users WHERE email LIKE 'old%'"));
    }

    @Test
    void rowsRemovedFromACopiedTargetAreNotSilentlySkipped() {
        assertEquals(0, db.copy("public.positions").exitCode());
        db.target.execute("DELETE FROM public.positions WHERE id <= 10");

        CliRun rerun = db.copy("public.positions");
        assertEquals(2, rerun.exitCode(), rerun.toString());
        assertEquals("target public.positions holds 90 rows but the ledger accounts for 100;"
                + " pass --truncate to copy it again", rerun.json().get("error").asText());

        CliRun again = db.copy("public.positions", "--truncate");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals(100, db.target.count("SELECT count(*) FROM public.positions"));
    }
}
