package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A column added on the source during follow: the follower stops with exit 3 naming the table and the column,
 * having applied every whole transaction before the change and nothing of the first one after it; once the target
 * has the column too, following again resumes exactly there and ends equal to the source.
 */
@RequiresPostgres
class SourceDdlDuringFollowStopsTest {
    private static final List<String> TABLES = List.of("public.positions");

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void prepareCopyRelease() throws Exception {
        db = new FollowFixture("follow_ddl", dir);
        db.source.execute("CREATE TABLE public.positions (id int PRIMARY KEY, symbol text, qty numeric)",
                "INSERT INTO public.positions VALUES (1, 'AAPL', 10), (2, 'MSFT', 5)");
        db.copyInTheSlotSnapshot(TABLES);
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aNewSourceColumnStopsWithExitThreeAndNothingHalfApplied() {
        db.source.execute("UPDATE public.positions SET qty = 11 WHERE id = 1",
                "ALTER TABLE public.positions ADD COLUMN venue text",
                "INSERT INTO public.positions VALUES (3, 'NVDA', 7, 'XNAS')",
                "UPDATE public.positions SET venue = 'XNYS' WHERE id = 2");
        CliRun stopped = db.follow(TABLES, "--until-caught-up", "--batch-transactions", "100");
        assertEquals(3, stopped.exitCode(), stopped.toString());
        String error = stopped.json().get("error").asText();
        assertTrue(error.contains("public.positions") && error.contains("column venue is new on the source"), error);
        assertEquals(0, db.target.count("SELECT count(*) FROM public.positions WHERE id = 3"), "nothing half-applied");
        assertEquals("11", db.target.query("SELECT qty::text FROM public.positions WHERE id = 1"),
                "the transaction before the DDL change was applied (same batch, applied again alone)");
        assertEquals(1, db.target.count("SELECT transactions FROM tributary.follow_progress"),
                "the position recorded is just before the changed transaction");

        CliRun again = db.follow(TABLES, "--until-caught-up");
        assertEquals(3, again.exitCode(), "stops again, same place, until the target is changed too: " + again);

        db.target.execute("ALTER TABLE public.positions ADD COLUMN venue text");
        CliRun resumed = db.follow(TABLES, "--until-caught-up");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals(2, resumed.json().get("transactions").asLong(), resumed.toString());
        assertEquals(FollowFixture.rows(db.source, "public.positions", "id"),
                FollowFixture.rows(db.target, "public.positions", "id"));
    }
}
