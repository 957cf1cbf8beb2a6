package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source a follower cannot follow is refused with exit 2, each problem named with its fix, and nothing is created:
 * no publication, no slot, not even the control schema.
 */
@RequiresPostgres
class FollowRefusesUnfitSourcesTest {
    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void createTables() {
        db = new FollowFixture("follow_refuses", dir);
        db.source.execute(
                "CREATE TABLE public.trades (id bigint PRIMARY KEY, qty int)",
                "CREATE TABLE public.ticks (symbol text, price numeric)", // no key, REPLICA IDENTITY DEFAULT
                "CREATE TABLE public.notes (body text) ",
                "ALTER TABLE public.notes REPLICA IDENTITY NOTHING");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aTableWithoutReplicaIdentityIsExitTwoAndNothingIsCreated() {
        CliRun run = db.follow(List.of("public.trades", "public.ticks", "public.notes"), "--prepare");
        assertEquals(2, run.exitCode(), run.toString());
        String error = run.json().get("error").asText();
        assertTrue(error.contains("table public.ticks in src_eu has no usable replica identity"), error);
        assertTrue(error.contains("ALTER TABLE \"public\".\"ticks\" REPLICA IDENTITY FULL"), error);
        assertTrue(error.contains("table public.notes in src_eu has no usable replica identity"), error);
        assertTrue(!error.contains("public.trades"), "a table with a primary key is fine: " + error);
        assertEquals(0, db.source.count("SELECT count(*) FROM pg_publication"), "no publication created");
        assertEquals(0, db.source.count("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"),
                "no slot created");
        assertNull(db.target.query("SELECT to_regclass('tributary.follow_slots')"), "nothing created in the target");
    }

    @Test
    void aSourceWithoutLogicalWalAndWithoutReplicationIsExitTwoNamingBoth() {
        // The warehouse stand-in runs wal_level=replica and its role has no REPLICATION attribute.
        try (ScratchDatabase plain = TestPostgres.createPlainDatabase("follow_plain_src")) {
            plain.execute("CREATE TABLE public.trades (id bigint PRIMARY KEY, qty int)");
            Map<String, String> env = new HashMap<>(db.env());
            env.put("TRIBUTARY_CONN_SRC_EU", plain.uri());
            CliRun run = CliRun.run(env, "follow", "--config=" + db.config, "--source", "src_eu", "--table",
                    "public.trades", "--prepare");
            assertEquals(2, run.exitCode(), run.toString());
            String error = run.json().get("error").asText();
            assertTrue(error.contains("source src_eu has wal_level=replica: set wal_level = logical"), error);
            assertTrue(error.contains("lacks the REPLICATION attribute: ALTER ROLE"), error);
            assertEquals(0, plain.count("SELECT count(*) FROM pg_publication"), "no publication created");
        }
    }

    @Test
    void aCopyInASnapshotNoLongerHeldIsExitTwo() {
        CliRun run = db.copy("public.trades", "--snapshot", "00000003-0000001B-1");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("snapshot 00000003-0000001B-1 cannot be imported on"
                + " src_eu"), run.toString());
        assertNull(db.target.query("SELECT to_regclass('public.trades')"), "nothing copied");
    }

    @Test
    void followingBeforeAnyPrepareIsExitTwo() {
        CliRun run = db.follow(List.of("public.trades"), "--until-caught-up");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("run tributary follow --prepare"), run.toString());
    }
}
