package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
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
 * Two shapes of change a live source produces that a simple follower gets wrong: an UPDATE that moves a row to
 * another partition (the source publishes through the partitioned root, so the target routes it again), and one
 * transaction larger than a WAL segment, applied by a follower whose heap is smaller than the transaction.
 */
@RequiresPostgres
class FollowPartitionMovesAndLargeTransactionsTest {
    private static final String FILLS = "public.\"Fills By Day\"";
    private static final String BIG = "public.big_batch";
    private static final List<String> TABLES = List.of("public.Fills By Day", "public.big_batch");

    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void prepareCopyRelease() throws Exception {
        db = new FollowFixture("follow_shapes", dir);
        db.source.execute("CREATE TABLE " + FILLS + " (id bigint, day date, qty int NOT NULL, PRIMARY KEY (id, day))"
                        + " PARTITION BY RANGE (day)",
                "CREATE TABLE public.\"Fills January\" PARTITION OF " + FILLS + " FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
                "CREATE TABLE public.\"Fills February\" PARTITION OF " + FILLS + " FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')",
                "INSERT INTO " + FILLS + " SELECT g, date '2026-01-01' + (g % 59), g FROM generate_series(1, 500) g",
                "CREATE TABLE " + BIG + " (id int PRIMARY KEY, pad text NOT NULL)");
        // the target's shape as `schema --phase pre-data` makes it: partitioned the same way
        db.target.execute("CREATE TABLE " + FILLS + " (id bigint, day date, qty int NOT NULL, PRIMARY KEY (id, day))"
                        + " PARTITION BY RANGE (day)",
                "CREATE TABLE public.\"Fills January\" PARTITION OF " + FILLS + " FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
                "CREATE TABLE public.\"Fills February\" PARTITION OF " + FILLS + " FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')");
        db.copyInTheSlotSnapshot(TABLES);
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aRowMovedToAnotherPartitionIsMovedOnTheTarget() {
        // id 1 is on 2026-01-02 (January): the update moves it to February, delete + insert inside the source
        db.source.execute("UPDATE " + FILLS + " SET day = date '2026-02-15', qty = -1 WHERE id = 1",
                "UPDATE " + FILLS + " SET day = day - 31 WHERE id = 40 AND day >= date '2026-02-01'",
                "DELETE FROM " + FILLS + " WHERE id = 2",
                "INSERT INTO public.\"Fills February\" VALUES (1000, date '2026-02-20', 7)");

        CliRun run = db.follow(TABLES, "--until-caught-up");
        assertEquals(0, run.exitCode(), run.toString());
        String rows = "SELECT coalesce(string_agg(tableoid::regclass::text || ' ' || t::text, E'\\n' ORDER BY id), '')"
                + " FROM " + FILLS + " t";
        assertEquals(db.source.query(rows), db.target.query(rows));
        assertEquals("\"Fills February\"", db.target.query("SELECT tableoid::regclass::text FROM " + FILLS + " WHERE id = 1"));
    }

    @Test
    void aTransactionLargerThanAWalSegmentIsAppliedWholeByASmallHeap() throws Exception {
        long segment = Long.parseLong(db.source.query("SELECT setting::bigint * CASE unit WHEN '8kB' THEN 8192"
                + " WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'"));
        String before = db.source.query("SELECT pg_current_wal_lsn()::text");
        // wide rows of hex that does not compress (under the TOAST threshold): few changes, many WAL bytes
        db.source.execute("BEGIN; INSERT INTO " + BIG + " SELECT g, (SELECT string_agg(md5(g || ':' || i), '')"
                + " FROM generate_series(1, 56) i) FROM generate_series(1, 10000) g;"
                + " UPDATE " + BIG + " SET pad = upper(pad) WHERE id % 10 = 0; COMMIT");
        long written = Long.parseLong(db.source.query("SELECT pg_current_wal_lsn() - '" + before + "'::pg_lsn"));
        assertTrue(written > segment, "the transaction wrote " + written + " WAL bytes, not more than one segment ("
                + segment + ")");

        // The follower as its own JVM with a heap smaller than the transaction: it streams, never holds it whole.
        Path log = dir.resolve("follow-big.log");
        Path result = dir.resolve("follow-big.json");
        Process follower = db.start(List.of("-Xmx24m"),
                db.followArgs(TABLES, "--until-caught-up", "--result-file", result.toString()), log);
        assertTrue(follower.waitFor(300, TimeUnit.SECONDS), "the follower did not finish in 300 s");
        assertEquals(0, follower.exitValue(), Files.readString(log));
        JsonNode line = new ObjectMapper().readTree(Files.readString(result));
        assertEquals("caught-up", line.get("status").asText(), line.toString());
        assertEquals(db.source.query("SELECT count(*) || ':' || sum(hashtext(t::text)) FROM " + BIG + " t"),
                db.target.query("SELECT count(*) || ':' || sum(hashtext(t::text)) FROM " + BIG + " t"));
    }
}
