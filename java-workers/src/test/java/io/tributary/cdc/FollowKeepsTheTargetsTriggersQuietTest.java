package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target has the source's triggers (post-data made them), among them one that rewrites the row on UPDATE, as
 * Pagila's {@code last_updated} does. The follower applies the source's rows as they are: the trigger fired once,
 * on the source, and the target's stays quiet (the apply session runs with session_replication_role = replica).
 */
@RequiresPostgres
class FollowKeepsTheTargetsTriggersQuietTest {
    private static final List<String> TABLES = List.of("public.actor");
    private static final String[] SHAPE = {
        "CREATE TABLE public.actor (id int PRIMARY KEY, name text NOT NULL,"
                + " last_update timestamptz NOT NULL DEFAULT now())",
        "CREATE FUNCTION public.last_updated() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$BEGIN NEW.last_update := clock_timestamp(); RETURN NEW; END$$",
        "CREATE TRIGGER last_updated BEFORE UPDATE ON public.actor FOR EACH ROW EXECUTE FUNCTION public.last_updated()"};

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void prepareCopyRelease() throws Exception {
        db = new FollowFixture("follow_triggers", dir);
        db.source.execute(SHAPE);
        db.source.execute("INSERT INTO public.actor (id, name) SELECT g, 'actor ' || g FROM generate_series(1, 20) g");
        db.target.execute(SHAPE);
        db.copyInTheSlotSnapshot(TABLES);
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void anUpdateArrivesAsTheSourceWroteIt() throws Exception {
        db.source.execute("UPDATE public.actor SET name = upper(name) WHERE id <= 5",
                "INSERT INTO public.actor (id, name, last_update) VALUES (100, 'new', '2026-01-01 00:00+00')");
        Thread.sleep(50); // a trigger firing on the target would stamp a later time than the source's
        CliRun run = db.follow(TABLES, "--until-caught-up");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(FollowFixture.rows(db.source, "public.actor", "id"), FollowFixture.rows(db.target, "public.actor", "id"));
    }
}
