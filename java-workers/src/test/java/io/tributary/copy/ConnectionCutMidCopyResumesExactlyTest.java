package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.CuttingProxy;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault: the network between the worker and a database is cut mid-stream (every session at once, as a partition or
 * a server crash would). The copy ends with the retryable exit code 4; what landed is whole chunks only, each
 * accounted for in the ledger; the re-run copies the rest and ends verified with every row exactly once.
 */
@RequiresPostgres
class ConnectionCutMidCopyResumesExactlyTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("netcut", dir);
        for (String t : new String[] {"cut_source", "cut_target"}) {
            db.source.execute("CREATE TABLE public." + t + " (id bigint PRIMARY KEY, payload text NOT NULL)",
                    "INSERT INTO public." + t + " SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 60000) g");
        }
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void theSourceConnectionCutMidStream() {
        cutThenResume("public.cut_source", "TRIBUTARY_CONN_SRC_EU", db.source.uri(), 6_000_000);
    }

    @Test
    void theTargetConnectionCutMidStream() {
        // From the target the server sends little (acknowledgements, checksums): cut early, while chunks stream in.
        cutThenResume("public.cut_target", "TRIBUTARY_CONN_CONSOLIDATED", db.target.uri(), 20_000);
    }

    private void cutThenResume(String table, String variable, String uri, long cutAfterBytes) {
        CliRun cut;
        try (CuttingProxy proxy = new CuttingProxy(uri, cutAfterBytes)) {
            Map<String, String> env = new HashMap<>(db.env());
            env.put(variable, proxy.through(uri));
            cut = CliRun.run(env, "copy", "--config=" + db.config, "--source", "src_eu", "--table", table,
                    "--chunk-rows", "5000", "--parallelism", "2", "--run-id", "cut");
            assertTrue(proxy.hasCut(), "the proxy cut the connection: " + cut);
        }
        assertEquals(4, cut.exitCode(), "a cut connection is retryable: " + cut);
        String name = table.substring("public.".length());
        long landed = db.target.count("SELECT count(*) FROM " + table);
        assertTrue(landed < 60000, "the cut came before the end (" + landed + " rows landed)");
        assertEquals(0, landed % 5000, "only whole chunks landed (" + landed + " rows)");
        long accounted = db.target.count("SELECT coalesce(sum(c.rows), 0) FROM tributary.chunks c"
                + " JOIN tributary.table_status t ON t.table_id = c.table_id"
                + " WHERE t.source_table = '" + table + "' AND c.status IN ('landed', 'copied')");
        assertEquals(landed, accounted, "every landed row is accounted for in the ledger");

        CliRun resumed = db.copy(table, "--chunk-rows", "5000", "--parallelism", "2", "--run-id", "resume");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.json().get("verified").asBoolean());
        assertEquals(60000, db.target.count("SELECT count(*) FROM " + table));
        assertEquals(60000, db.target.count("SELECT count(DISTINCT id) FROM " + table), "no row twice");
        assertEquals(db.source.query("SELECT md5(string_agg(payload, ',' ORDER BY id)) FROM " + table),
                db.target.query("SELECT md5(string_agg(payload, ',' ORDER BY id)) FROM " + table),
                "the same rows, checked independently of the copy's checksum (" + name + ")");
    }
}
