package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.cli.TributaryCommand;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two sources of one application (src_eu, src_us; colliding ids, one customer on both) merged into one target
 * table set by resolve and the copy, then followed — each source by its own process and slot, at the same time —
 * through the copy's rules: key offsets, foreign keys through key_map, the origin column (a source's UPDATE,
 * DELETE and TRUNCATE never touch another source's rows), the losing row of a duplicate left out, and a live
 * duplicate natural key settled by the table's strategy (source-wins, last-write-wins, manual).
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FollowMergesTwoSourcesTest {
    /** US's trades have a wider qty: the unified table takes numeric(22,8) (schema --phase pre-data). */
    private static final String SCHEMA = """
            CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, full_name text);
            CREATE TABLE public.trades (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES public.users (id),
                qty numeric(18,4) NOT NULL);
            CREATE TABLE public.accounts (id bigint PRIMARY KEY, iban text NOT NULL UNIQUE, balance numeric(18,2),
                updated_at timestamptz NOT NULL);
            CREATE TABLE public.tags (id integer PRIMARY KEY, code text NOT NULL UNIQUE);
            CREATE TABLE public.memos (id integer PRIMARY KEY, body text);
            """;
    private static final List<String> TABLES = List.of("public.users", "public.trades", "public.accounts",
            "public.tags");
    private static final Map<String, String> SLOTS = Map.of("src_eu", "fm_merge_eu", "src_us", "fm_merge_us");

    @TempDir
    static Path dir;
    static ScratchDatabase eu;
    static ScratchDatabase us;
    static ScratchDatabase target;
    static Path config;
    static final Map<String, String> env = new HashMap<>();
    /** key offsets of users (the same stride for every remapped table here: ids 1-3 on both sides). */
    static long usOffset;

    @BeforeAll
    static void resolveAndCopyInEachSlotSnapshot() throws Exception {
        eu = TestPostgres.createSourceDatabase("fm_merge_eu");
        us = TestPostgres.createSourceDatabase("fm_merge_us");
        target = TestPostgres.createDatabase("fm_merge_dst");
        eu.execute(SCHEMA,
                "INSERT INTO public.users VALUES (1, 'anna@x.example', 'Anna EU'), (2, 'bob@x.example', 'Bob'),"
                        + " (3, 'carl@x.example', 'Carl')",
                "INSERT INTO public.trades VALUES (1, 1, 1.5), (2, 2, 2.5)",
                "INSERT INTO public.accounts VALUES (1, 'IBAN-A', 10, '2024-01-01 00:00+00'),"
                        + " (2, 'IBAN-E', 5, '2024-01-01 00:00+00')",
                "INSERT INTO public.tags VALUES (1, 'alpha')");
        us.execute(SCHEMA.replace("qty numeric(18,4)", "qty numeric(20,8)"),
                "INSERT INTO public.users VALUES (1, 'dora@x.example', 'Dora'), (2, 'anna@x.example', 'Anna US'),"
                        + " (3, 'emil@x.example', 'Emil')",
                "INSERT INTO public.trades VALUES (1, 2, 3.5), (2, 1, 4.5)",
                "INSERT INTO public.accounts VALUES (1, 'IBAN-B', 20, '2024-01-01 00:00+00')",
                "INSERT INTO public.tags VALUES (1, 'beta')");
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                control: {connection: consolidated, schema: tributary}
                sources:
                  - id: src_eu
                  - id: src_us
                targets:
                  consolidated: {connection: consolidated}
                defaults: {conflict_strategy: source-wins}
                consolidate:
                  tables:
                    - {source: src_eu, table: public.users}
                    - {source: src_eu, table: public.trades}
                    - {source: src_eu, table: public.accounts}
                    - {source: src_eu, table: public.tags}
                    - {source: src_us, table: public.users}
                    - {source: src_us, table: public.trades}
                    - {source: src_us, table: public.accounts}
                    - {source: src_us, table: public.tags}
                tables:
                  - match: "*.public.users"
                    conflict_strategy: source-wins
                    source_wins: src_eu
                  - match: "*.public.accounts"
                    conflict_strategy: last-write-wins
                    last_write_column: updated_at
                  - match: "*.public.tags"
                    conflict_strategy: manual
                """);
        env.put("TRIBUTARY_CONN_SRC_EU", eu.uri());
        env.put("TRIBUTARY_CONN_SRC_US", us.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");

        succeed(CliRun.run(env, "schema", "--config=" + config, "--phase", "pre-data"));
        assertEquals("numeric(22,8)", target.query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = 'public.trades'::regclass AND attname = 'qty'"), "the unified type is widened");
        List<String> resolve = new ArrayList<>(List.of("resolve", "--config=" + config, "--run-id", "junit"));
        for (String source : List.of("src_eu", "src_us")) {
            for (String t : TABLES) {
                resolve.addAll(List.of("--table", source + ":" + t));
            }
        }
        succeed(CliRun.run(env, resolve.toArray(String[]::new)));
        for (String source : List.of("src_eu", "src_us")) {
            CompletableFuture<CliRun> prepare = CompletableFuture.supplyAsync(() -> follow(source, "--prepare"));
            String snapshot = heldSnapshot(source, prepare);
            for (String t : TABLES) {
                succeed(CliRun.run(env, "copy", "--config=" + config, "--source", source, "--table", t,
                        "--run-id", "junit", "--snapshot", snapshot));
            }
            succeed(follow(source, "--release"));
            succeed(prepare.get(60, TimeUnit.SECONDS));
        }
        usOffset = target.count("SELECT key_offset FROM tributary.key_offsets WHERE source = 'src_us'"
                + " AND target_table = 'public.users'");
        assertTrue(usOffset > 0, "src_us's users were given an offset");
        // what consolidate builds after the data: keys, the natural keys unique, the foreign key validated
        succeed(CliRun.run(env, "schema", "--config=" + config, "--phase", "post-data"));
        assertEquals(4, target.count("SELECT count(*) FROM pg_constraint WHERE contype = 'u'"
                + " AND conrelid IN ('public.users'::regclass, 'public.accounts'::regclass, 'public.tags'::regclass)"
                + " OR contype = 'f' AND conrelid = 'public.trades'::regclass"), "unique keys and the foreign key");
        assertEquals("Anna EU|src_eu", target.query("SELECT full_name || '|' || tributary_source FROM public.users"
                + " WHERE email = 'anna@x.example'"), "the copy kept EU's Anna (source-wins)");
    }

    @AfterAll
    static void drop() {
        for (ScratchDatabase db : new ScratchDatabase[] {eu, us, target}) {
            if (db != null) {
                try {
                    db.close();
                } catch (RuntimeException e) {
                    // keep closing the others
                }
            }
        }
    }

    @Test
    @Order(1)
    void twoSourcesFollowedAtOnceApplyThroughOffsetsKeyMapAndOrigin() throws Exception {
        eu.execute("INSERT INTO public.users VALUES (4, 'fay@x.example', 'Fay')",
                "UPDATE public.users SET full_name = 'Bob EU 2' WHERE id = 2",
                "UPDATE public.users SET id = 40 WHERE id = 4", // key change
                "INSERT INTO public.trades VALUES (3, 40, 5.5)",
                "DELETE FROM public.trades WHERE id = 1");
        us.execute("INSERT INTO public.users VALUES (4, 'gus@x.example', 'Gus')",
                "UPDATE public.users SET full_name = 'Anna US 2' WHERE id = 2", // the losing row: stays out
                "UPDATE public.users SET full_name = 'Dora 2' WHERE id = 1",
                "INSERT INTO public.trades VALUES (3, 2, 6.12345678)", // US's Anna: folded into EU's, so user 1
                "DELETE FROM public.users WHERE id = 3");

        Process euFollower = start("src_eu", "eu-1.log", "--until-caught-up");
        Process usFollower = start("src_us", "us-1.log", "--until-caught-up");
        finish(euFollower, "eu-1.log");
        finish(usFollower, "us-1.log");

        long o = usOffset;
        assertEquals(String.join("\n",
                        "1|anna@x.example|Anna EU|src_eu",
                        "2|bob@x.example|Bob EU 2|src_eu",
                        "3|carl@x.example|Carl|src_eu",
                        "40|fay@x.example|Fay|src_eu",
                        (1 + o) + "|dora@x.example|Dora 2|src_us",
                        (4 + o) + "|gus@x.example|Gus|src_us"),
                target.query("SELECT string_agg(concat_ws('|', id, email, full_name, tributary_source), E'\\n'"
                        + " ORDER BY id) FROM public.users"));
        long tradeOffset = target.count("SELECT key_offset FROM tributary.key_offsets WHERE source = 'src_us'"
                + " AND target_table = 'public.trades'");
        assertEquals(String.join("\n",
                        "2|2|2.5|src_eu",
                        "3|40|5.5|src_eu",
                        (1 + tradeOffset) + "|1|3.5|src_us",
                        (2 + tradeOffset) + "|" + (1 + o) + "|4.5|src_us",
                        (3 + tradeOffset) + "|1|6.12345678|src_us"), // all 8 decimals: the widened type
                target.query("SELECT string_agg(concat_ws('|', id, user_id, trim_scale(qty), tributary_source),"
                        + " E'\\n' ORDER BY id) FROM public.trades"));
        assertEquals(2, target.count("SELECT count(*) FROM tributary.follow_progress WHERE slot_name IN"
                + " ('fm_merge_eu', 'fm_merge_us') AND transactions > 0"), "one progress row per source and slot");

        CliRun status = CliRun.run(env, "status", "--config=" + config);
        assertEquals(0, status.exitCode(), status.toString());
        JsonNode follows = status.json().get("follows");
        assertEquals(2, follows.size(), status.toString());
        for (JsonNode f : follows) {
            assertEquals("source", f.get("lag_from").asText(), status.toString());
            assertTrue(f.get("lag_bytes").asLong() >= 0, status.toString());
        }
        assertTrue(status.stderr().contains("fm_merge_us"), status.stderr());
    }

    @Test
    @Order(2)
    void aLiveDuplicateNaturalKeyGoesThroughTheTablesStrategy() throws Exception {
        us.execute(
                // users, source-wins src_eu: US's new Bob does not land; his trade follows EU's Bob (id 2)
                "INSERT INTO public.users VALUES (5, 'bob@x.example', 'Bob US')",
                "INSERT INTO public.trades VALUES (4, 5, 7.5)",
                // accounts, last-write-wins: US's newer IBAN-A takes the place of EU's row (key 1 stays) ...
                "INSERT INTO public.accounts VALUES (2, 'IBAN-A', 99, '2025-01-01 00:00+00')",
                "UPDATE public.accounts SET balance = 100 WHERE id = 2", // ... and US's later change finds it
                // ... while an older IBAN-E from US loses to EU's
                "INSERT INTO public.accounts VALUES (3, 'IBAN-E', 1, '2023-01-01 00:00+00')",
                // tags, manual: EU's alpha stays until someone decides; US's waits in the queue
                "INSERT INTO public.tags VALUES (2, 'alpha')");
        succeed(follow("src_us", "--until-caught-up"));
        eu.execute("UPDATE public.accounts SET balance = 12 WHERE id = 1"); // EU's IBAN-A lost: stays out
        succeed(follow("src_eu", "--until-caught-up"));

        assertEquals("Bob EU 2|src_eu", target.query("SELECT full_name || '|' || tributary_source FROM public.users"
                + " WHERE email = 'bob@x.example'"));
        assertEquals("2", target.query("SELECT new_key FROM tributary.key_map WHERE target_table = 'public.users'"
                + " AND source = 'src_us' AND old_key = '5'"));
        assertEquals("2", target.query("SELECT user_id::text FROM public.trades WHERE qty = 7.5"));
        assertEquals("source-wins|src_eu|src_us|5|resolved", target.query("SELECT concat_ws('|', strategy,"
                + " winner_source, loser_source, loser_key, status) FROM tributary.conflict_queue"
                + " WHERE target_table = 'public.users' AND reason LIKE 'live:%'"));

        assertEquals("1|IBAN-A|100.00|src_us", target.query("SELECT concat_ws('|', id, iban, balance,"
                + " tributary_source) FROM public.accounts WHERE iban = 'IBAN-A'"));
        assertEquals("last-write-wins|src_us|src_eu|1", target.query("SELECT concat_ws('|', strategy,"
                + " winner_source, loser_source, loser_key) FROM tributary.conflict_queue"
                + " WHERE target_table = 'public.accounts' AND key_value = 'IBAN-A'"));
        assertEquals("2|IBAN-E|5.00|src_eu", target.query("SELECT concat_ws('|', id, iban, balance,"
                + " tributary_source) FROM public.accounts WHERE iban = 'IBAN-E'"));
        assertEquals(1, target.count("SELECT count(*) FROM tributary.conflict_queue WHERE target_table ="
                + " 'public.accounts' AND key_value = 'IBAN-E' AND loser_source = 'src_us' AND loser_key = '3'"));

        assertEquals("alpha|src_eu", target.query("SELECT code || '|' || tributary_source FROM public.tags"
                + " WHERE code = 'alpha'"));
        assertEquals("manual|open|src_us|2", target.query("SELECT concat_ws('|', strategy, status, loser_source,"
                + " loser_key) FROM tributary.conflict_queue WHERE target_table = 'public.tags'"
                + " AND reason LIKE 'live:%'"));
        assertEquals(1, target.count("SELECT count(*) FROM public.tags WHERE code = 'alpha'"), "no duplicate landed");
    }

    @Test
    @Order(3)
    void truncateOfOneSourceRemovesOnlyThatSourcesRows() throws Exception {
        long euTrades = target.count("SELECT count(*) FROM public.trades WHERE tributary_source = 'src_eu'");
        assertTrue(euTrades > 0);
        us.execute("TRUNCATE public.trades");
        succeed(follow("src_us", "--until-caught-up"));
        assertEquals(0, target.count("SELECT count(*) FROM public.trades WHERE tributary_source = 'src_us'"));
        assertEquals(euTrades, target.count("SELECT count(*) FROM public.trades WHERE tributary_source = 'src_eu'"),
                "EU's trades are untouched by US's TRUNCATE");
        us.execute("INSERT INTO public.trades VALUES (9, 1, 1)");
        succeed(follow("src_us", "--until-caught-up"));
        assertEquals((9 + target.count("SELECT key_offset FROM tributary.key_offsets WHERE source = 'src_us'"
                + " AND target_table = 'public.trades'")) + "|" + (1 + usOffset), target.query("SELECT id || '|' ||"
                + " user_id FROM public.trades WHERE tributary_source = 'src_us'"));
    }

    @Test
    @Order(4)
    void sigkillMidBatchOfAMergedTableThenRestartAppliesEveryChangeOnce() throws Exception {
        int transactions = 30;
        int rows = 500;
        long before = applied("fm_merge_us");
        for (int t = 0; t < transactions; t++) {
            long from = 1_000L + (long) t * rows;
            us.execute("BEGIN; INSERT INTO public.users SELECT g, 'bulk' || g || '@x.example', 'bulk' FROM"
                    + " generate_series(" + from + ", " + (from + rows - 1) + ") g; UPDATE public.users"
                    + " SET full_name = 'Dora ' || " + t + " WHERE id = 1; COMMIT");
        }
        Path log = dir.resolve("killed.log");
        Process follower = start("src_us", "killed.log", "--batch-transactions", "3", "--progress-every", "0.2");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (applied("fm_merge_us") == before || target.count("SELECT count(*) FROM pg_stat_activity WHERE"
                    + " datname = current_database() AND application_name = 'tributary follow'"
                    + " AND backend_xid IS NOT NULL") == 0) {
                if (!follower.isAlive()) {
                    fail("the follower ended before it could be killed:\n" + Files.readString(log));
                }
                assertTrue(System.nanoTime() < deadline, "never mid-batch");
                Thread.sleep(5);
            }
        } finally {
            follower.destroyForcibly();
        }
        assertTrue(follower.waitFor(30, TimeUnit.SECONDS));
        long committed = applied("fm_merge_us") - before;
        long landed = target.count("SELECT count(*) FROM public.users WHERE full_name = 'bulk'");
        assertTrue(landed > 0 && landed < (long) transactions * rows, landed + " rows landed");
        assertEquals(committed * rows, landed, "only whole source transactions, exactly those recorded");

        CliRun resumed = follow("src_us", "--until-caught-up");
        succeed(resumed);
        assertEquals(transactions - committed, resumed.json().get("transactions").asLong(), resumed.toString());
        // every US row, with its offset and origin, exactly once; EU's rows untouched
        String expected = us.query("SELECT string_agg(concat_ws('|', id + " + usOffset + ", email, full_name),"
                + " E'\\n' ORDER BY id) FROM public.users WHERE id <> 2 AND id <> 5");
        assertEquals(expected, target.query("SELECT string_agg(concat_ws('|', id, email, full_name), E'\\n'"
                + " ORDER BY id) FROM public.users WHERE tributary_source = 'src_us'"));
        assertEquals(4, target.count("SELECT count(*) FROM public.users WHERE tributary_source = 'src_eu'"));
    }

    @Test
    @Order(5)
    void aTableOtherSourcesWereMergedIntoButThisOneWasNotIsRefusedBeforeAnythingIsCreated() {
        // As after a resolve of public.memos that did not include src_us (e.g. a source added later).
        target.execute("INSERT INTO tributary.key_offsets (target, target_table, source, source_table, key_column,"
                + " key_offset, origin_column, sources) VALUES ('consolidated', 'public.memos', 'src_eu',"
                + " 'public.memos', 'id', 0, 'tributary_source', ARRAY['src_eu', 'src_xx'])");
        CliRun refused = CliRun.run(env, "follow", "--config=" + config, "--source", "src_us", "--table",
                "public.memos", "--slot", "fm_merge_bad", "--prepare");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("was not resolved into it"), refused.stderr());
        assertEquals(0, us.count("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'fm_merge_bad'"));
        assertEquals(0, us.count("SELECT count(*) FROM pg_publication WHERE pubname = 'fm_merge_bad'"));
        assertEquals(0, target.count("SELECT count(*) FROM tributary.follow_slots WHERE slot_name = 'fm_merge_bad'"));
    }

    @Test
    @Order(6)
    void aMergedTargetTableWithoutItsOriginColumnIsRefused() {
        long progress = target.count("SELECT transactions FROM tributary.follow_progress WHERE slot_name = 'fm_merge_eu'");
        target.execute("ALTER TABLE public.tags DROP COLUMN tributary_source");
        eu.execute("INSERT INTO public.tags VALUES (7, 'gamma')");
        CliRun refused = CliRun.run(env, "follow", "--config=" + config, "--source", "src_eu", "--table",
                "public.tags", "--slot", SLOTS.get("src_eu"), "--until-caught-up");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("has no origin column tributary_source"), refused.stderr());
        assertEquals(progress, target.count("SELECT transactions FROM tributary.follow_progress"
                + " WHERE slot_name = 'fm_merge_eu'"), "nothing applied");
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static CliRun follow(String source, String... extra) {
        return CliRun.run(env, followArgs(source, extra).toArray(String[]::new));
    }

    private static List<String> followArgs(String source, String... extra) {
        List<String> args = new ArrayList<>(List.of("follow", "--config=" + config, "--source", source, "--slot",
                SLOTS.get(source)));
        for (String t : TABLES) {
            args.addAll(List.of("--table", t));
        }
        args.addAll(List.of(extra));
        return args;
    }

    private static String heldSnapshot(String source, CompletableFuture<CliRun> prepare) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (target.query("SELECT to_regclass('tributary.follow_slots')") != null) {
                String id = target.query("SELECT snapshot_name FROM tributary.follow_slots WHERE state = 'holding'"
                        + " AND source = '" + source + "'");
                if (id != null) {
                    return id;
                }
            }
            if (prepare.isDone()) {
                throw new AssertionError("follow --prepare ended: " + prepare.get());
            }
            assertTrue(System.nanoTime() < deadline, "follow --prepare never held a snapshot");
            Thread.sleep(50);
        }
    }

    /** The worker as its own JVM (what Airflow launches). */
    private static Process start(String source, String log, String... extra) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TributaryCommand.class.getName()));
        command.addAll(followArgs(source, extra));
        ProcessBuilder worker = new ProcessBuilder(command);
        worker.environment().putAll(env);
        worker.redirectErrorStream(true);
        worker.redirectOutput(dir.resolve(log).toFile());
        return worker.start();
    }

    private static void finish(Process p, String log) throws Exception {
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "follower did not finish");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve(log)));
    }

    private static long applied(String slot) {
        return target.count("SELECT coalesce(sum(transactions), 0) FROM tributary.follow_progress"
                + " WHERE slot_name = '" + slot + "'");
    }

    private static void succeed(CliRun run) {
        if (run.exitCode() != 0) {
            throw new AssertionError(run.toString());
        }
    }
}
