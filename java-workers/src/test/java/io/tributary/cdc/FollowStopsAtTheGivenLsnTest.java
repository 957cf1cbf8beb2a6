package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** --until-lsn applies exactly the transactions committed before the position; a later run continues from there. */
@RequiresPostgres
class FollowStopsAtTheGivenLsnTest {
    private static final List<String> TABLES = List.of("public.orders");

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void prepareCopyRelease() throws Exception {
        db = new FollowFixture("follow_until", dir);
        db.source.execute("CREATE TABLE public.orders (id int PRIMARY KEY, side text)",
                "INSERT INTO public.orders VALUES (1, 'buy')");
        db.copyInTheSlotSnapshot(TABLES);
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void untilLsnStopsBeforeTheFirstLaterCommit() {
        db.source.execute("INSERT INTO public.orders VALUES (2, 'sell')", "UPDATE public.orders SET side = 'sold'"
                + " WHERE id = 1");
        String lsn = db.source.query("SELECT pg_current_wal_lsn()::text");
        db.source.execute("INSERT INTO public.orders VALUES (3, 'after the position')");

        CliRun until = db.follow(TABLES, "--until-lsn", lsn);
        assertEquals(0, until.exitCode(), until.toString());
        assertEquals("reached-lsn", until.json().get("status").asText());
        assertEquals(2, until.json().get("transactions").asLong(), until.toString());
        assertEquals("1:sold,2:sell", db.target.query("SELECT string_agg(id || ':' || side, ',' ORDER BY id)"
                + " FROM public.orders"));

        CliRun rest = db.follow(TABLES, "--until-caught-up");
        assertEquals(0, rest.exitCode(), rest.toString());
        assertEquals(1, rest.json().get("transactions").asLong(), rest.toString());
        assertEquals(FollowFixture.rows(db.source, "public.orders", "id"), FollowFixture.rows(db.target, "public.orders", "id"));

        CliRun badLsn = db.follow(TABLES, "--until-lsn", "not-an-lsn");
        assertEquals(2, badLsn.exitCode(), badLsn.toString());
    }
}
