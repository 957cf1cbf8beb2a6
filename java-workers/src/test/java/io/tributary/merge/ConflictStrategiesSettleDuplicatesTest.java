package io.tributary.merge;

import static io.tributary.merge.KeyRemappingRewritesForeignKeysTest.table;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same customer (anna@x.example) on both instances, settled by each strategy; nothing is dropped silently. */
@RequiresPostgres
class ConflictStrategiesSettleDuplicatesTest {
    @TempDir
    Path dir;

    @Test
    void sourceWinsKeepsTheNamedInstancesRow() {
        try (TwoInstances db = new TwoInstances("source_wins", dir, """
                defaults: {conflict_strategy: source-wins}
                tables:
                  - match: "*.public.users"
                    conflict_strategy: source-wins
                    source_wins: src_eu
                """)) {
            db.consolidate();
            // EU's Anna (older!) stays as id 1; US's id 2 is folded into it
            assertEquals("Anna EU|1|src_eu", db.target.query("SELECT full_name || '|' || id || '|' || tributary_source"
                    + " FROM public.users WHERE email = 'anna@x.example'"));
            assertEquals("1", db.target.query("SELECT new_key FROM tributary.key_map WHERE target_table = 'public.users'"
                    + " AND source = 'src_us' AND old_key = '2'"));
            assertEquals(db.eu.count("SELECT count(*) FROM public.trades WHERE user_id = 1")
                            + db.us.count("SELECT count(*) FROM public.trades WHERE user_id = 2"),
                    db.target.count("SELECT count(*) FROM public.trades WHERE user_id = 1"));
            db.addForeignKeys();
        }
    }

    @Test
    void lastWriteWinsKeepsTheNewerRowAndRecordsWhy() {
        try (TwoInstances db = new TwoInstances("lww", dir, """
                defaults: {conflict_strategy: source-wins}
                tables:
                  - match: "*.public.users"
                    conflict_strategy: last-write-wins
                    last_write_column: updated_at
                """)) {
            db.consolidate();
            assertEquals("Anna US|closed", db.target.query(
                    "SELECT full_name || '|' || status FROM public.users WHERE email = 'anna@x.example'"));
            assertEquals("last-write-wins|src_us|src_eu|Anna EU", db.target.query("SELECT strategy || '|' ||"
                    + " winner_source || '|' || loser_source || '|' || (loser_row ->> 'full_name')"
                    + " FROM tributary.conflict_queue WHERE target_table = 'public.users'"));
            db.addForeignKeys();
        }
    }

    @Test
    void manualParksTheLosingRowWithBothVersionsAndReportsIt() {
        try (TwoInstances db = new TwoInstances("manual", dir, """
                tables:
                  - match: "*.public.*"
                    conflict_strategy: manual
                """)) {
            CliRun resolved = db.consolidate();
            assertEquals(2, resolved.json().get("open_conflicts").asLong(), resolved.toString()); // anna + momentum
            assertEquals(1, table(resolved.json(), "public.users").get("open").asLong());
            // the first source's row stands in until someone decides; the other version waits in the queue
            assertEquals("Anna EU", db.target.query("SELECT full_name FROM public.users WHERE email = 'anna@x.example'"));
            assertEquals("open|Anna EU|Anna US|2", db.target.query("SELECT status || '|' || (winner_row ->> 'full_name')"
                    + " || '|' || (loser_row ->> 'full_name') || '|' || loser_key FROM tributary.conflict_queue"
                    + " WHERE target_table = 'public.users'"));
            // nothing silently dropped: every source row is in the target or in the queue
            long sourceRows = db.eu.count("SELECT count(*) FROM public.users") + db.us.count("SELECT count(*) FROM public.users");
            assertEquals(sourceRows, db.target.count("SELECT count(*) FROM public.users")
                    + db.target.count("SELECT count(*) FROM tributary.conflict_queue WHERE target_table = 'public.users'"));
            db.addForeignKeys();
            CliRun status = io.tributary.testing.CliRun.run(db.env, "status", "--config=" + db.config);
            assertEquals(0, status.exitCode(), status.toString());
            assertEquals(2, status.json().get("open_conflicts").asLong(), status.toString());
            org.junit.jupiter.api.Assertions.assertTrue(status.stderr().contains("2 open in tributary.conflict_queue"),
                    status.stderr());
        }
    }
}
