package io.tributary.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200k-row table in two databases (the target with a wider numeric scale, timestamps written in another
 * time zone), then a handful of planted changes: diff lists exactly those keys, kinds and columns, exit 3.
 */
@RequiresPostgres
class DiffFindsExactlyThePlantedDifferencesTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    static final String ROWS = "INSERT INTO public.trades SELECT g, 'acct' || (g % 500), (g % 100000) / 100.0,"
            + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',"
            + " jsonb_build_object('g', g, 'side', CASE WHEN g % 2 = 0 THEN 'buy' ELSE 'sell' END),"
            + " ARRAY['t' || (g % 7), 'x'], CASE WHEN g % 10 = 0 THEN NULL ELSE 'n' || g END"
            + " FROM generate_series(1, 200000) g";

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("diff_planted", dir);
        db.source.execute(
                "CREATE TABLE public.trades (id int PRIMARY KEY, account text NOT NULL, price numeric(10,2),"
                        + " ts timestamptz, doc jsonb, tags text[], note text)",
                ROWS);
        db.target.execute(
                "CREATE TABLE public.trades (id bigint PRIMARY KEY, account text NOT NULL, price numeric(12,4),"
                        + " ts timestamptz, doc jsonb, tags text[], note text)",
                "SET TimeZone = 'Asia/Tokyo'",
                ROWS,
                // the planted differences
                "UPDATE public.trades SET price = price + 0.01 WHERE id = 17",
                "UPDATE public.trades SET doc = doc || '{\"late\": true}', note = NULL WHERE id = 100001",
                "UPDATE public.trades SET tags = ARRAY['t1'] WHERE id = 199999",
                "DELETE FROM public.trades WHERE id IN (3, 150000)",
                "INSERT INTO public.trades VALUES (0, 'new', 1, now(), '{}', '{}', NULL),"
                        + " (250000, 'new', 2, now(), NULL, NULL, '')");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void listsExactlyThePlantedKeysAndColumns() {
        Path output = dir.resolve("diff.json");
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.trades",
                "--target", "consolidated", "--output", output.toString());
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertEquals(3, json.get("exit_code").asInt());
        assertFalse(json.get("identical").asBoolean());
        assertFalse(json.get("truncated").asBoolean());
        assertEquals(200000, json.get("rows_source").asLong());
        assertEquals(200000, json.get("rows_target").asLong());
        assertEquals(2, json.get("missing_on_target").asLong());
        assertEquals(2, json.get("extra_on_target").asLong());
        assertEquals(3, json.get("different").asLong());
        assertTrue(json.get("segments_compared").asInt() > 1, run.toString()); // bisected, not read whole

        Map<Long, String> expected = new TreeMap<>(Map.of(
                0L, "extra_on_target",
                3L, "missing_on_target",
                17L, "different [price]",
                100001L, "different [doc, note]",
                150000L, "missing_on_target",
                199999L, "different [tags]",
                250000L, "extra_on_target"));
        assertEquals(expected, found(json.get("differences")));
        assertEquals(expected, found(Discovery.read(output).get("differences")));
        // pass 1 already compares segments (their sums are the table checksums), so these leaves need no pass 2
        assertTrue(run.stderr().contains("pass 1: 32 segments of 1 ranges compared"), run.stderr());
        assertTrue(run.stderr().contains("diff summary"), run.stderr());
    }

    @Test
    void defaultTargetComesFromTheConfigAndColumnsLimitTheComparison() {
        CliRun run = CliRun.run(db.env(), "diff", "--config=" + db.config, "--source", "src_eu",
                "--table", "public.trades", "--columns", "id,account");
        assertEquals(3, run.exitCode(), run.toString());
        assertEquals("consolidated", run.json().get("target").asText());
        assertEquals(0, run.json().get("different").asLong(), "only id and account are compared");
        assertEquals(2, run.json().get("missing_on_target").asLong());
    }

    static Map<Long, String> found(JsonNode differences) {
        Map<Long, String> found = new TreeMap<>();
        List<Long> order = new ArrayList<>();
        for (JsonNode d : differences) {
            long id = d.get("key").get("id").asLong();
            order.add(id);
            String kind = d.get("kind").asText();
            if (d.has("columns")) {
                List<String> cols = new ArrayList<>();
                d.get("columns").forEach(c -> cols.add(c.asText()));
                kind += " " + cols;
            }
            found.put(id, kind);
        }
        assertEquals(order.stream().sorted().toList(), order, "differences are listed in key order");
        return found;
    }
}
