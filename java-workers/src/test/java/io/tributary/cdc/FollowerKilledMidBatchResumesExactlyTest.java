package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
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
 * A follower process killed with SIGKILL while a target transaction holds part of a batch loses that batch, and
 * its restart applies every change exactly once (the applied position commits with the changes). A follower
 * asked to stop with SIGTERM ends cleanly after the current transaction, with exit 0 and its result line.
 */
@RequiresPostgres
class FollowerKilledMidBatchResumesExactlyTest {
    private static final List<String> TABLES = List.of("public.fills");
    private static final int TRANSACTIONS = 40;
    private static final int ROWS_PER_TRANSACTION = 5_000;

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void prepareCopyRelease() throws Exception {
        db = new FollowFixture("follow_kill", dir);
        db.source.execute("CREATE TABLE public.fills (id bigint PRIMARY KEY, qty int NOT NULL, note text)",
                "INSERT INTO public.fills SELECT g, 1, 'copied' FROM generate_series(1, 1000) g");
        db.copyInTheSlotSnapshot(TABLES);
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void sigkillMidBatchThenRestartAppliesEveryChangeOnce() throws Exception {
        long before = applied(); // transactions other tests of this class applied
        for (int t = 0; t < TRANSACTIONS; t++) {
            long from = 1_000_000L + (long) t * ROWS_PER_TRANSACTION;
            db.source.execute("BEGIN; INSERT INTO public.fills SELECT g, 2, 'streamed' FROM generate_series(" + from
                    + ", " + (from + ROWS_PER_TRANSACTION - 1) + ") g; UPDATE public.fills SET qty = qty + 1"
                    + " WHERE id BETWEEN " + (1 + t * 20) + " AND " + (20 + t * 20) + "; COMMIT");
        }
        Path log = dir.resolve("killed.log");
        Process follower = db.start(db.followArgs(TABLES, "--batch-transactions", "4", "--progress-every", "0.2"), log);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            // Kill once a batch committed and the next one is being written (its transaction holds an xid).
            while (applied() == before || db.target.count("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                    + " current_database() AND application_name = 'tributary follow' AND backend_xid IS NOT NULL") == 0) {
                if (!follower.isAlive()) {
                    fail("the follower ended before it could be killed:\n" + Files.readString(log));
                }
                assertTrue(System.nanoTime() < deadline, () -> "never mid-batch:\n" + readQuietly(log));
                Thread.sleep(5);
            }
        } finally {
            follower.destroyForcibly(); // SIGKILL
        }
        assertTrue(follower.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, follower.exitValue(), "killed by SIGKILL");
        long total = TRANSACTIONS * ROWS_PER_TRANSACTION;
        long committed = applied() - before;
        long streamedRows = db.target.count("SELECT count(*) FROM public.fills WHERE note = 'streamed'");
        assertTrue(streamedRows > 0 && streamedRows < total, streamedRows + " of " + total + " streamed rows landed");
        assertEquals(0, streamedRows % ROWS_PER_TRANSACTION, "only whole source transactions landed");
        assertEquals(committed * ROWS_PER_TRANSACTION, streamedRows,
                "the recorded position accounts for exactly the rows that landed");

        CliRun resumed = db.follow(TABLES, "--until-caught-up");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals(TRANSACTIONS - committed, resumed.json().get("transactions").asLong(),
                "the restart applied only what the killed follower had not committed");
        assertEquals(FollowFixture.rows(db.source, "public.fills", "id"), FollowFixture.rows(db.target, "public.fills", "id"));
    }

    @Test
    void sigtermStopsCleanlyAfterTheCurrentTransaction() throws Exception {
        Path log = dir.resolve("terminated.log");
        Process follower = db.start(db.followArgs(TABLES, "--progress-every", "0.2"), log);
        try {
            db.source.execute("INSERT INTO public.fills VALUES (-1, 7, 'before sigterm')");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (db.target.count("SELECT count(*) FROM public.fills WHERE id = -1") == 0) {
                assertTrue(follower.isAlive(), () -> "follower ended:\n" + readQuietly(log));
                assertTrue(System.nanoTime() < deadline, () -> "change never applied:\n" + readQuietly(log));
                Thread.sleep(20);
            }
            follower.destroy(); // SIGTERM
            assertTrue(follower.waitFor(60, TimeUnit.SECONDS), "stopped after SIGTERM");
        } finally {
            follower.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals(0, follower.exitValue(), String.join("\n", lines));
        JsonNode result = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertEquals("stopped", result.get("status").asText(), String.join("\n", lines));
        assertTrue(String.join("\n", lines).contains("SIGTERM: stopping after the current transaction"));
        assertFalse(db.source.query("SELECT active::text FROM pg_replication_slots WHERE database = current_database()")
                .equals("true"), "the slot is free again");
        assertEquals(FollowFixture.rows(db.source, "public.fills", "id"), FollowFixture.rows(db.target, "public.fills", "id"));
    }

    private static long applied() {
        if (db.target.query("SELECT to_regclass('tributary.follow_progress')") == null) {
            return 0;
        }
        return db.target.count("SELECT coalesce(sum(transactions), 0) FROM tributary.follow_progress");
    }

    private static String readQuietly(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
