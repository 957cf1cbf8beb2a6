package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.RequiresPostgres;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole start point: --prepare creates the slot (waiting for a transaction begun before it), the copies run in
 * the slot's exported snapshot, --release, then the follower applies exactly the changes committed after the
 * snapshot — among them a transaction begun before the slot and committed after it, an update that leaves a
 * TOASTed column unchanged, a table without a primary key (REPLICA IDENTITY FULL, with duplicate rows), one with
 * REPLICA IDENTITY USING INDEX (its key updated), and a TRUNCATE — and the target ends equal to the source.
 */
@RequiresPostgres
class FollowStartsWhereTheCopyEndsTest {
    private static final List<String> TABLES = List.of("public.accounts", "public.ledger_lines", "public.fx_rates",
            "public.audit_events");

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void createSource() {
        db = new FollowFixture("follow_start", dir);
        db.source.execute(
                "CREATE TABLE public.accounts (id bigint PRIMARY KEY, balance numeric(18,2), note text)",
                "INSERT INTO public.accounts SELECT g, g * 10, 'short' FROM generate_series(1, 500) g",
                // ~128 kB of hex: stored out of line (TOAST), so an UPDATE that leaves it alone does not resend it
                "UPDATE public.accounts SET note = (SELECT string_agg(md5(random()::text), '') FROM"
                        + " generate_series(1, 4000)) WHERE id = 2",
                "CREATE TABLE public.ledger_lines (account bigint, amount numeric, memo text)",
                "ALTER TABLE public.ledger_lines REPLICA IDENTITY FULL",
                "INSERT INTO public.ledger_lines VALUES (1, 5, 'dup'), (1, 5, 'dup'), (2, 7, 'fee'), (3, NULL, NULL)",
                "CREATE TABLE public.fx_rates (pair text NOT NULL, day date NOT NULL, rate numeric)",
                "CREATE UNIQUE INDEX fx_rates_pair_day ON public.fx_rates (pair, day)",
                "ALTER TABLE public.fx_rates REPLICA IDENTITY USING INDEX fx_rates_pair_day",
                "INSERT INTO public.fx_rates VALUES ('EURUSD', '2026-12-01', 1.05), ('GBPUSD', '2026-12-01', 1.27),"
                        + " ('USDJPY', '2026-12-01', 150.1)",
                "CREATE TABLE public.audit_events (id int PRIMARY KEY, what text)",
                "INSERT INTO public.audit_events SELECT g, 'event ' || g FROM generate_series(1, 20) g");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void copiesInTheSlotsSnapshotThenFollowingAppliesExactlyTheRest() throws Exception {
        CompletableFuture<CliRun> prepare;
        try (Connection before = db.source.connect(); Connection spanning = db.source.connect()) {
            // Committed after the slot was asked for, but it held a transaction id before: the slot waits for it,
            // so it belongs to the snapshot (copied), not to the stream.
            before.setAutoCommit(false);
            try (Statement st = before.createStatement()) {
                st.execute("INSERT INTO public.accounts VALUES (1001, 1, 'before the slot')");
            }
            // Begun before the slot, writes and commits after it: belongs to the stream.
            spanning.setAutoCommit(false);
            try (Statement st = spanning.createStatement()) {
                st.execute("SELECT 1");
            }
            prepare = CompletableFuture.supplyAsync(() -> db.follow(TABLES, "--prepare"));
            Thread.sleep(1500);
            assertNull(db.heldSnapshot(), "the slot waits for the transaction that was writing when it was created");
            assertFalse(prepare.isDone(), () -> "prepare ended early: " + prepare.join());
            before.commit();
            waitForSnapshot(prepare);
            try (Statement st = spanning.createStatement()) {
                st.execute("INSERT INTO public.accounts VALUES (1002, 2, 'spans the start')");
                st.execute("UPDATE public.accounts SET balance = balance + 1 WHERE id = 3");
            }
            db.source.execute(
                    "UPDATE public.accounts SET balance = -1 WHERE id = 2", // the TOASTed note is not resent
                    "DELETE FROM public.accounts WHERE id = 5",
                    "INSERT INTO public.accounts VALUES (1003, 3, NULL)",
                    "UPDATE public.accounts SET id = 1004 WHERE id = 6", // key change: the old key travels too
                    "DELETE FROM public.ledger_lines WHERE ctid = (SELECT min(ctid) FROM public.ledger_lines"
                            + " WHERE memo = 'dup')", // one of two identical rows
                    "UPDATE public.ledger_lines SET amount = 8 WHERE memo = 'fee'",
                    "UPDATE public.ledger_lines SET memo = 'was null' WHERE amount IS NULL",
                    "INSERT INTO public.ledger_lines VALUES (4, 1.5, 'new')",
                    "UPDATE public.fx_rates SET rate = 1.06 WHERE pair = 'EURUSD'",
                    "UPDATE public.fx_rates SET pair = 'GBPEUR' WHERE pair = 'GBPUSD'",
                    "DELETE FROM public.fx_rates WHERE pair = 'USDJPY'",
                    "INSERT INTO public.audit_events VALUES (21, 'before the truncate')");
            String snapshot = db.heldSnapshot();
            for (String table : TABLES) {
                CliRun copy = db.copy(table, "--snapshot", snapshot);
                assertEquals(0, copy.exitCode(), copy.toString());
                // The result names the snapshot every row was read in: the follower's start point.
                assertEquals(snapshot, copy.json().at("/source_snapshot/id").asText(), copy.toString());
                assertTrue(copy.json().at("/source_snapshot/imported").asBoolean(), copy.toString());
            }
            spanning.commit();
        }
        // After the copies: TRUNCATE is not MVCC-safe, a copy still running in the older snapshot would see the
        // table empty (docs/cdc.md).
        db.source.execute("TRUNCATE public.audit_events",
                "INSERT INTO public.audit_events VALUES (1, 'after the truncate')");
        assertEquals(1, db.target.count("SELECT count(*) FROM public.accounts WHERE id = 1001"),
                "the transaction the slot waited for is in the snapshot");
        assertEquals(0, db.target.count("SELECT count(*) FROM public.accounts WHERE id IN (1002, 1003)"),
                "later commits are not in the snapshot");
        assertEquals(20, db.target.count("SELECT count(*) FROM public.audit_events"), "copied before the truncate");

        CliRun release = db.follow(TABLES, "--release");
        assertEquals(0, release.exitCode(), release.toString());
        CliRun prepared = prepare.get(60, TimeUnit.SECONDS);
        assertEquals(0, prepared.exitCode(), prepared.toString());
        assertEquals("released", prepared.json().get("status").asText());
        assertEquals("released", db.target.query("SELECT state FROM tributary.follow_slots"));

        // The lag goes to the Pushgateway while it runs (here a stand-in that records what it is sent).
        List<String> pushes = new CopyOnWriteArrayList<>();
        HttpServer gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        gateway.createContext("/", exchange -> {
            pushes.add(exchange.getRequestURI().getPath() + "\n"
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        gateway.start();
        CliRun follow;
        try {
            Map<String, String> env = new HashMap<>(db.env());
            env.put("TRIBUTARY_PUSHGATEWAY", "127.0.0.1:" + gateway.getAddress().getPort());
            follow = CliRun.run(env, db.followArgs(TABLES, "--until-caught-up", "--progress-every", "0.1",
                    "--drop-slot").toArray(String[]::new));
        } finally {
            gateway.stop(0);
        }
        assertTrue(pushes.size() >= 2, "pushed while running and at the end: " + pushes.size());
        assertTrue(pushes.stream().allMatch(p -> p.startsWith("/metrics/job/follow/source/src_eu\n")), pushes::toString);
        String last = pushes.get(pushes.size() - 1);
        assertTrue(last.contains("tributary_follow_lag_bytes ") && last.contains("tributary_follow_lag_seconds "), last);
        assertEquals(0, follow.exitCode(), follow.toString());
        JsonNode result = follow.json();
        assertEquals("caught-up", result.get("status").asText());
        assertEquals(15, result.get("transactions").asLong(), follow.toString());
        assertTrue(result.get("rows").asLong() >= 15, follow.toString());
        assertTrue(result.has("lag_bytes") && result.has("lag_seconds") && result.has("last_lsn"), follow.toString());
        assertTrue(result.get("slot_dropped").asBoolean());
        assertTrue(follow.stderr().contains("follow src_eu: "), follow.stderr());
        assertTrue(follow.stderr().contains(" bytes / "), "lag on stderr: " + follow.stderr());

        assertEquals(FollowFixture.rows(db.source, "public.accounts", "id"),
                FollowFixture.rows(db.target, "public.accounts", "id"));
        assertTrue(db.target.count("SELECT length(note) FROM public.accounts WHERE id = 2") >= 100_000,
                "the unchanged TOASTed value was kept");
        assertEquals(FollowFixture.rows(db.source, "public.ledger_lines", "t::text"),
                FollowFixture.rows(db.target, "public.ledger_lines", "t::text"));
        assertEquals(1, db.target.count("SELECT count(*) FROM public.ledger_lines WHERE memo = 'dup'"),
                "exactly one of the two identical rows was deleted");
        assertEquals(FollowFixture.rows(db.source, "public.fx_rates", "pair, day"),
                FollowFixture.rows(db.target, "public.fx_rates", "pair, day"));
        assertEquals(FollowFixture.rows(db.source, "public.audit_events", "id"),
                FollowFixture.rows(db.target, "public.audit_events", "id"));

        assertEquals(0, db.source.count("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"),
                "--drop-slot dropped the slot");
        assertEquals(0, db.source.count("SELECT count(*) FROM pg_publication"), "and the publication");
        assertEquals("dropped", db.target.query("SELECT state FROM tributary.follow_slots"));
        assertEquals("t", db.target.query("SELECT applied_lsn <= '" + result.get("last_lsn").asText() + "'::pg_lsn"
                + " AND transactions = 15 FROM tributary.follow_progress"), "the applied position is recorded");
    }

    private static void waitForSnapshot(CompletableFuture<CliRun> prepare) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (db.heldSnapshot() == null) {
            assertFalse(prepare.isDone(), () -> "prepare ended: " + prepare.join());
            assertTrue(System.nanoTime() < deadline, "no snapshot held");
            Thread.sleep(50);
        }
    }
}
