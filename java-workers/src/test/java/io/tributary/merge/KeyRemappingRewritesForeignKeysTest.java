package io.tributary.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances, three tables chained by foreign keys (trades → users, trades → strategies, strategies →
 * users): ids collide, one customer and one strategy exist on both. After resolve + copy every reference in
 * the target resolves, each row says where it came from, and re-running changes nothing.
 */
@RequiresPostgres
class KeyRemappingRewritesForeignKeysTest {
    @TempDir
    Path dir;

    @Test
    void offsetsAndFoldedDuplicatesKeepEveryForeignKeyValid() {
        try (TwoInstances db = new TwoInstances("remap", dir, """
                tables:
                  - match: "*.public.users"
                    conflict_strategy: last-write-wins
                    last_write_column: updated_at
                  - match: "*.public.strategies"
                    conflict_strategy: source-wins
                    source_wins: src_us
                """)) {
            CliRun resolved = db.consolidate();
            JsonNode users = table(resolved.json(), "public.users");
            assertEquals("id", users.get("key_column").asText());
            assertEquals(0, users.get("offsets").get("src_eu").asLong());
            assertEquals(100, users.get("offsets").get("src_us").asLong(), "stride: a power of ten ≥ 10 × max id 3");
            assertEquals(1, users.get("duplicates").asLong());
            assertEquals(1, table(resolved.json(), "public.strategies").get("duplicates").asLong());

            // 3 + 3 users, anna once; 2 + 2 strategies, momentum once; all 11 trades
            assertEquals(5, db.target.count("SELECT count(*) FROM public.users"));
            assertEquals(3, db.target.count("SELECT count(*) FROM public.strategies"));
            assertEquals(11, db.target.count("SELECT count(*) FROM public.trades"));
            // last-write-wins: the US row (2024-06) beat the EU row; EU's id 1 now means US's id 2 + 100
            assertEquals("Anna US|102|src_us", db.target.query(
                    "SELECT full_name || '|' || id || '|' || tributary_source FROM public.users WHERE email = 'anna@x.example'"));
            assertEquals("102", db.target.query("SELECT new_key FROM tributary.key_map"
                    + " WHERE target_table = 'public.users' AND source = 'src_eu' AND old_key = '1'"));
            // EU's trades of Anna (user 1) point at 102; US trades of user 2 too
            assertEquals(db.eu.count("SELECT count(*) FROM public.trades WHERE user_id = 1")
                            + db.us.count("SELECT count(*) FROM public.trades WHERE user_id = 2"),
                    db.target.count("SELECT count(*) FROM public.trades WHERE user_id = 102"));
            // source-wins src_us: momentum is US's strategy 1 → 101, and EU's trades on momentum follow
            assertEquals("101|102", db.target.query(
                    "SELECT id || '|' || owner_user_id FROM public.strategies WHERE code = 'momentum'"));
            assertEquals(db.eu.count("SELECT count(*) FROM public.trades WHERE strategy_id = 1")
                            + db.us.count("SELECT count(*) FROM public.trades WHERE strategy_id = 1"),
                    db.target.count("SELECT count(*) FROM public.trades WHERE strategy_id = 101"));
            // trade ids: EU as they were, US + 100
            assertEquals("1,2,3,4,5,6,101,102,103,104,105", db.target.query(
                    "SELECT string_agg(id::text, ',' ORDER BY id) FROM public.trades"));
            db.addForeignKeys(); // throws if any reference dangles or a natural key is still duplicated

            // the losers are recorded, not dropped
            assertEquals("src_eu:1:resolved,src_eu:1:resolved", db.target.query(
                    "SELECT string_agg(loser_source || ':' || loser_key || ':' || status, ',' ORDER BY target_table)"
                            + " FROM tributary.conflict_queue"));

            // tributary diff compares each source as the copy projected it, against its own rows of the target
            for (String source : java.util.List.of("src_eu", "src_us")) {
                for (String t : TwoInstances.TABLES) {
                    CliRun diff = CliRun.run(db.env, "diff", "--config=" + db.config, "--source", source, "--table", t);
                    assertEquals(0, diff.exitCode(), diff.toString());
                    assertTrue(diff.json().get("merged").asBoolean(), diff.toString());
                }
            }
            db.target.execute("UPDATE public.trades SET qty = qty + 1 WHERE id = 103");
            CliRun differs = CliRun.run(db.env, "diff", "--config=" + db.config, "--source", "src_us", "--table",
                    "public.trades");
            assertEquals(3, differs.exitCode(), differs.toString());
            assertEquals(1, differs.json().get("different").asLong(), differs.toString());
            db.target.execute("UPDATE public.trades SET qty = qty - 1 WHERE id = 103");

            // a re-run decides nothing new and copies nothing
            CliRun again = db.resolve();
            assertEquals(0, again.exitCode(), again.toString());
            assertEquals(0, table(again.json(), "public.users").get("newly_settled").asLong());
            CliRun copy = db.copy("src_us", "public.trades");
            assertEquals("skipped", copy.json().get("status").asText(), copy.toString());
            assertEquals(11, db.target.count("SELECT count(*) FROM public.trades"));
        }
    }

    static JsonNode table(JsonNode result, String name) {
        for (JsonNode t : result.get("tables")) {
            if (t.get("target_table").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError(name + " not in " + result);
    }
}
