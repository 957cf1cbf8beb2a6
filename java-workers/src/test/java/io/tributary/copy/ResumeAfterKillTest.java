package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.cli.TributaryCommand;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
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
 * A real worker process killed with SIGKILL in the middle of a chunked copy keeps the chunks it committed
 * and none of the chunk it was writing; the re-run reuses the stored plan, copies only the missing chunks, verifies
 * the chunks that landed before the kill (they were never verified) and ends with exact counts and the source's
 * checksum.
 */
@RequiresPostgres
class ResumeAfterKillTest {
    private static final long ROWS = 400_000;

    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createBigSource() {
        db = new CopyFixture("resume", dir);
        db.source.execute(
                "CREATE TABLE public.fills (id bigint PRIMARY KEY, account text, price numeric(18,6), note text)",
                "INSERT INTO public.fills SELECT g, 'acct-' || (g % 1000), g / 7.0, repeat(md5(g::text), 2)"
                        + " FROM generate_series(1, " + ROWS + ") g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void sigkillMidCopyThenRerunFinishesWithExactCounts() throws Exception {
        ProcessBuilder worker = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                TributaryCommand.class.getName(),
                "copy", "--config", db.config.toString(), "--source", "src_eu", "--table", "public.fills",
                "--chunk-rows", "20000", "--parallelism", "2", "--progress-every", "0.2"));
        worker.environment().putAll(db.env());
        worker.redirectErrorStream(true);
        Path log = dir.resolve("worker.log");
        worker.redirectOutput(log.toFile());
        Process process = worker.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            // Kill once some chunks are committed and another chunk's COPY is streaming.
            while (copiedChunks() < 3 || db.target.count("SELECT count(*) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND query LIKE 'COPY %FROM STDIN%' AND state = 'active'") == 0) {
                if (!process.isAlive()) {
                    fail("the worker finished before it could be killed mid-copy (exit " + process.exitValue()
                            + "):\n" + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    fail("the worker never got far enough:\n" + Files.readString(log));
                }
                Thread.sleep(10);
            }
        } finally {
            process.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        }
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, process.exitValue(), "killed by SIGKILL");

        // The server rolls the orphaned chunk transactions back once it notices the client is gone.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.target.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = 'tributary copy'") > 0) {
            assertFalse(System.nanoTime() > deadline, "the killed worker's sessions never went away");
            Thread.sleep(50);
        }
        long committed = copiedChunks();
        long committedRows = db.target.count("SELECT coalesce(sum(rows), 0) FROM tributary.chunks"
                + " WHERE status IN ('landed', 'copied')");
        long chunksTotal = db.target.count("SELECT count(*) FROM tributary.chunks");
        assertTrue(committed >= 3 && committed < chunksTotal, committed + " of " + chunksTotal + " chunks committed");
        assertEquals(committedRows, db.target.count("SELECT count(*) FROM public.fills"),
                "the target holds exactly the committed chunks, nothing of the chunk in flight");
        assertEquals("copying", db.target.query("SELECT status FROM tributary.table_status"));
        assertTrue(db.target.count("SELECT progress_rows FROM tributary.table_status") > 0, "progress was stored");
        CliRun status = CliRun.run(db.env(), "status", "--config=" + db.config);
        assertTrue(status.stderr().contains("/" + chunksTotal + " chunks"), status.toString());
        String committedChunks = "SELECT string_agg(chunk_no || '@' || finished_at || '#' || attempts, ','"
                + " ORDER BY chunk_no) FROM tributary.chunks WHERE chunk_no IN (" + db.target.query(
                "SELECT string_agg(chunk_no::text, ',') FROM tributary.chunks WHERE status IN ('landed', 'copied')")
                + ")";
        String committedBefore = db.target.query(committedChunks);
        String before = db.target.query("SELECT string_agg(chunk_no || ':' || key_lo || ':' || key_hi, ','"
                + " ORDER BY chunk_no) FROM tributary.chunks WHERE key_lo IS NOT NULL");

        CliRun rerun = db.copy("public.fills", "--chunk-rows", "50000", "--parallelism", "2");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertEquals("copied", rerun.json().get("status").asText());
        assertEquals(ROWS, rerun.json().get("rows").asLong());
        assertEquals(ROWS, db.target.count("SELECT count(*) FROM public.fills"));
        assertEquals(ROWS, db.target.count("SELECT count(DISTINCT id) FROM public.fills"), "no duplicated rows");
        String sorted = "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) FROM public.fills t";
        assertEquals(db.source.query(sorted), db.target.query(sorted));
        CliRun sourceChecksum = CliRun.run(db.env(), "checksum", "--conn", "src_eu", "--table", "public.fills");
        assertEquals(sourceChecksum.json().get("checksum").asText(), rerun.json().get("checksum").asText());

        // The same plan was reused (not re-cut at 50000 rows) and the committed chunks were not copied again.
        assertEquals(before, db.target.query("SELECT string_agg(chunk_no || ':' || key_lo || ':' || key_hi, ','"
                + " ORDER BY chunk_no) FROM tributary.chunks WHERE key_lo IS NOT NULL"));
        assertTrue(rerun.stderr().contains("resuming: " + committed + " of " + chunksTotal + " chunks already copied"),
                rerun.stderr());
        assertEquals(committedBefore, db.target.query(committedChunks),
                "chunks committed before the kill were not copied again");
        assertEquals("copied|2", db.target.query("SELECT status || '|' || attempts FROM tributary.table_status"));
        assertEquals(chunksTotal, db.target.count("SELECT count(*) FROM tributary.chunks WHERE status = 'copied'"
                + " AND target_checksum = source_checksum"), "every chunk, landed before the kill or after, verified");
    }

    private static long copiedChunks() {
        if (db.target.query("SELECT to_regclass('tributary.chunks')") == null) {
            return 0;
        }
        // Committed chunks are "landed" until the copy's verification pass makes them "copied".
        return db.target.count("SELECT count(*) FROM tributary.chunks WHERE status IN ('landed', 'copied')");
    }
}
