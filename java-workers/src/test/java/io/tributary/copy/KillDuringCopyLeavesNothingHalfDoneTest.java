package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.cli.TributaryCommand;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL in the middle of its COPY leaves no table and no "copied" ledger entry
 * behind, and the next run copies everything.
 */
@RequiresPostgres
class KillDuringCopyLeavesNothingHalfDoneTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createBigSource() {
        db = new CopyFixture("kill", dir);
        db.source.execute(
                "CREATE TABLE public.fills (id bigint PRIMARY KEY, account text, price numeric(18,6), note text)",
                "INSERT INTO public.fills SELECT g, 'acct-' || (g % 1000), g / 7.0, repeat(md5(g::text), 2)"
                        + " FROM generate_series(1, 300000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void sigkillMidCopyRollsBackAndTheRerunCopiesEverything() throws Exception {
        ProcessBuilder worker = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                TributaryCommand.class.getName(),
                "copy", "--config", db.config.toString(), "--source", "src_eu", "--table", "public.fills"));
        worker.environment().putAll(db.env());
        worker.redirectErrorStream(true);
        worker.redirectOutput(dir.resolve("worker.log").toFile());
        Process process = worker.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (db.target.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND query LIKE 'COPY %FROM STDIN%' AND state = 'active'") == 0) {
                if (!process.isAlive()) {
                    fail("the worker finished before it could be killed mid-COPY (exit " + process.exitValue() + ")");
                }
                if (System.nanoTime() > deadline) {
                    fail("the worker never reached its COPY");
                }
                Thread.sleep(20);
            }
            Thread.sleep(200); // let some data flow
        } finally {
            process.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        }
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, process.exitValue(), "killed by SIGKILL");

        // The server rolls the orphaned transaction back once it notices the client is gone.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.target.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = 'tributary copy'") > 0) {
            assertFalse(System.nanoTime() > deadline, "the killed worker's session never went away");
            Thread.sleep(50);
        }
        assertEquals(null, db.target.query("SELECT to_regclass('public.fills')"), "no half-copied table");
        assertEquals("copying", db.target.query("SELECT status FROM tributary.table_status"));

        CliRun rerun = db.copy("public.fills");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertEquals("copied", rerun.json().get("status").asText());
        assertEquals(300_000, rerun.json().get("rows").asLong());
        assertEquals(300_000, db.target.count("SELECT count(*) FROM public.fills"));
        assertEquals("copied|2", db.target.query("SELECT status || '|' || attempts FROM tributary.table_status"));
        assertTrue(new File(dir.resolve("worker.log").toString()).length() > 0);
    }
}
