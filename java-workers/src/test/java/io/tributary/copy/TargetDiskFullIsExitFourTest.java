package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.PrivateCluster;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.CopyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target's disk fills up during a copy: the target table lives in a tablespace on a 1 MB tmpfs of a PostgreSQL
 * of the test's own. The copy ends with exit 4 (retryable: PostgreSQL's 53100), not 3 (the data is not different)
 * and not 1; no chunk is half there and nothing is marked copied. Once the disk has room the re-run ends verified,
 * with exactly the source's rows. Needs root to mount (CI runs as root); skipped, saying so, otherwise.
 */
@RequiresPostgres
class TargetDiskFullIsExitFourTest {
    static Path small;
    static boolean mounted;
    static PrivateCluster cluster;
    static CopyFixture db;

    @TempDir
    static Path dir;

    @BeforeAll
    static void smallTablespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small tmpfs needs root (CI runs as root)");
        small = Files.createTempDirectory("tributary-small-disk-");
        mounted = run("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", small.toString());
        assumeTrue(mounted, "mount -t tmpfs refused here: the target-disk-full test needs it");
        assertTrue(run("chown", "postgres", small.toString()));
        cluster = PrivateCluster.start("disk-full");
        db = new CopyFixture("disk_full", dir, cluster.adminUri());
        db.source.execute("CREATE TABLE public.\"Fills\" (id bigint PRIMARY KEY, note text NOT NULL)",
                "INSERT INTO public.\"Fills\" SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g");
        db.target.execute("CREATE TABLESPACE small LOCATION '" + small + "'",
                "CREATE TABLE public.\"Fills\" (id bigint PRIMARY KEY USING INDEX TABLESPACE small, note text NOT NULL)"
                        + " TABLESPACE small");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (db != null) {
                db.target.execute("DROP TABLE IF EXISTS public.\"Fills\"");
                db.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            if (mounted) {
                assertTrue(run("umount", small.toString()), "umount " + small);
            }
            if (small != null) {
                run("rm", "-rf", small.toString());
            }
        }
    }

    @Test
    void aFullTargetDiskIsRetryableAndTheRerunEndsVerified() {
        CliRun full = db.copy("public.Fills");
        assertEquals(4, full.exitCode(), full.toString());
        assertTrue(full.toString().contains("53100") || full.toString().toLowerCase().contains("space"), full.toString());
        assertEquals("0", db.target.query("SELECT count(*) FROM public.\"Fills\""), "no chunk may be half there");
        assertEquals("0", db.target.query("SELECT count(*) FROM tributary.table_status WHERE status = 'copied'"));

        assertTrue(run("mount", "-o", "remount,size=64m", small.toString()));
        CliRun rerun = db.copy("public.Fills");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        String figures = "SELECT count(*) || ':' || sum(hashtext(t::text)) FROM public.\"Fills\" t";
        assertEquals(db.source.query(figures), db.target.query(figures));
    }

    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
