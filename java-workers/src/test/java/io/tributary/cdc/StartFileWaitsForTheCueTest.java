package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --start-file} (what the cutover starts before its write freeze): the process gets ready, announces it in
 * {@code <file>.ready}, and does its step only at the cue — {@code follow --prepare} creates the slot then (a change
 * made while it waited is in the slot's snapshot, not in its stream), {@code checksum} counts the data as it is then.
 */
@RequiresPostgres
class StartFileWaitsForTheCueTest {
    private static final List<String> TABLES = List.of("public.orders");

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void tables() {
        db = new FollowFixture("follow_start_file", dir);
        for (var side : List.of(db.source, db.target)) {
            side.execute("CREATE TABLE public.orders (id int PRIMARY KEY, side text)");
        }
        db.source.execute("INSERT INTO public.orders VALUES (1, 'buy')");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void prepareCreatesTheSlotAtTheCueNotAtItsStart() throws Exception {
        Path start = dir.resolve("prepare.start");
        Path stop = dir.resolve("prepare.stop");
        Files.createFile(stop); // released at once: both sides are made equal by hand below
        CompletableFuture<CliRun> prepare = CompletableFuture.supplyAsync(() -> db.follow(TABLES, "--prepare",
                "--stop-file", stop.toString(), "--start-file", start.toString()));
        awaitReady(start, prepare);
        assertEquals(String.valueOf(ProcessHandle.current().pid()), Files.readString(ready(start)).strip());
        assertEquals("0", db.source.query("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'tributary_src_eu'"));
        assertEquals("1", db.source.query("SELECT count(*) FROM pg_publication WHERE pubname = 'tributary_src_eu'"));

        db.source.execute("INSERT INTO public.orders VALUES (2, 'made while it waited')");
        Files.createFile(start);
        CliRun prepared = prepare.get(60, TimeUnit.SECONDS);
        assertEquals(0, prepared.exitCode(), prepared.toString());
        assertEquals("released", prepared.json().get("status").asText());

        // the target as of the slot's position: rows 1 and 2; the stream must bring exactly what came after
        db.target.execute("INSERT INTO public.orders VALUES (1, 'buy'), (2, 'made while it waited')");
        db.source.execute("INSERT INTO public.orders VALUES (3, 'after the cue')");
        CliRun follow = db.follow(TABLES, "--until-caught-up", "--drop-slot");
        assertEquals(0, follow.exitCode(), follow.toString());
        assertEquals(1, follow.json().get("transactions").asLong(), follow.toString());
        assertEquals(FollowFixture.rows(db.source, "public.orders", "id"), FollowFixture.rows(db.target, "public.orders", "id"));

        CliRun misplaced = db.follow(TABLES, "--until-caught-up", "--start-file", start.toString());
        assertEquals(2, misplaced.exitCode(), misplaced.toString());
    }

    @Test
    void checksumCountsTheRowsAsTheyAreAtTheCue() throws Exception {
        Path start = dir.resolve("checksum.start");
        db.source.execute("CREATE TABLE public.orders_counted (id int PRIMARY KEY)");
        CompletableFuture<CliRun> checksum = CompletableFuture.supplyAsync(() -> CliRun.run(db.env(), "checksum",
                "--conn", "src_eu", "--table", "public.orders_counted", "--start-file", start.toString()));
        awaitReady(start, checksum);
        db.source.execute("INSERT INTO public.orders_counted SELECT generate_series(1, 5)");
        Files.createFile(start);
        CliRun counted = checksum.get(60, TimeUnit.SECONDS);
        assertEquals(0, counted.exitCode(), counted.toString());
        assertEquals(5, counted.json().get("rows").asLong(), counted.toString());
    }

    private static Path ready(Path start) {
        return start.resolveSibling(start.getFileName() + ".ready");
    }

    private static void awaitReady(Path start, CompletableFuture<CliRun> run) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ready(start))) {
            assertTrue(!run.isDone(), () -> "ended before it was ready: " + run.join());
            assertTrue(System.nanoTime() < deadline, "never ready");
            Thread.sleep(20);
        }
    }
}
