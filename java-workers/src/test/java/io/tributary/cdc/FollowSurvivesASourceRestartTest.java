package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.PrivateCluster;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source restarted under a running follower (its own PostgreSQL, so no other test loses a server): the follower
 * ends with exit 4, retryable, naming the lost connection; the retry resumes from the slot and applies every
 * change exactly once, those made before, around and after the restart.
 */
@RequiresPostgres
class FollowSurvivesASourceRestartTest {
    private static final List<String> TABLES = List.of("public.orders");

    @TempDir
    static Path dir;
    static PrivateCluster cluster;
    static FollowFixture db;

    @BeforeAll
    static void prepareCopyRelease() throws Exception {
        cluster = PrivateCluster.start("follow-restart");
        db = new FollowFixture("follow_restart", dir, cluster.adminUri());
        db.source.execute("CREATE TABLE public.orders (id int PRIMARY KEY, qty int NOT NULL)",
                "INSERT INTO public.orders SELECT g, g FROM generate_series(1, 100) g");
        db.copyInTheSlotSnapshot(TABLES);
    }

    @AfterAll
    static void drop() {
        try {
            if (db != null) {
                db.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    void aRestartEndsTheFollowerRetryablyAndTheRetryAppliesEveryChangeOnce() throws Exception {
        Path log = dir.resolve("follow.log");
        Path result = dir.resolve("follow.json");
        Process follower = db.start(db.followArgs(TABLES, "--result-file", result.toString()), log);
        try {
            db.source.execute("INSERT INTO public.orders SELECT g, g FROM generate_series(101, 200) g",
                    "UPDATE public.orders SET qty = qty + 1000 WHERE id <= 50");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!"200:1050".equals(db.target.query("SELECT count(*) || ':' || max(qty) FROM public.orders"))) {
                assertTrue(follower.isAlive(), Files.readString(log));
                assertTrue(System.nanoTime() < deadline, "the follower did not apply the first changes: "
                        + Files.readString(log));
                Thread.sleep(100);
            }

            cluster.restart();
            assertTrue(follower.waitFor(120, TimeUnit.SECONDS), "the follower outlived its source's restart: "
                    + Files.readString(log));
            assertEquals(4, follower.exitValue(), Files.readString(log));
            JsonNode line = new ObjectMapper().readTree(Files.readString(result));
            assertEquals(4, line.get("exit_code").asInt(), line.toString());
        } finally {
            follower.destroyForcibly();
        }

        db.source.execute("DELETE FROM public.orders WHERE id > 190", "INSERT INTO public.orders VALUES (500, 5)",
                "UPDATE public.orders SET qty = -qty WHERE id % 7 = 0");
        CliRun retry = db.follow(TABLES, "--until-caught-up");
        assertEquals(0, retry.exitCode(), retry.toString());
        assertEquals(FollowFixture.rows(db.source, "public.orders", "id"), FollowFixture.rows(db.target, "public.orders", "id"));
    }
}
