package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verification that does not share the copy's SELECT (issue 15, item 3): besides the checksums, each side
 * counts {@code count(*) FROM ONLY} of the table and of every partition on its own. A target whose partitions have
 * the same names but other bounds takes every row, and both checksums over the partitioned table agree, but its
 * partitions do not hold what the source's hold: exit 3, naming the partition.
 */
@RequiresPostgres
class PartitionsAreComparedOneByOneTest {
    private static final String TABLE = "(id bigint NOT NULL, day date NOT NULL, note text) PARTITION BY RANGE (day)";

    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("partition_counts", dir);
        for (String t : new String[] {"events", "moved"}) {
            db.source.execute("CREATE TABLE public." + t + " " + TABLE,
                    "CREATE TABLE public." + t + "_a PARTITION OF public." + t
                            + " FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
                    "CREATE TABLE public." + t + "_b PARTITION OF public." + t
                            + " FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')",
                    "INSERT INTO public." + t + " SELECT g, DATE '2026-01-01' + (g % 59), md5(g::text)"
                            + " FROM generate_series(1, 5900) g");
        }
        db.target.execute("CREATE TABLE public.events " + TABLE,
                "CREATE TABLE public.events_a PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
                "CREATE TABLE public.events_b PARTITION OF public.events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')",
                // same partition names, other bounds
                "CREATE TABLE public.moved " + TABLE,
                "CREATE TABLE public.moved_a PARTITION OF public.moved FOR VALUES FROM ('2026-01-01') TO ('2026-01-20')",
                "CREATE TABLE public.moved_b PARTITION OF public.moved FOR VALUES FROM ('2026-01-20') TO ('2026-03-01')");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void everyPartitionIsCountedOnBothSides() {
        CliRun run = db.copy("public.events");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode counts = run.json().get("relation_counts");
        assertEquals("per relation", counts.get("how").asText());
        assertEquals(3, counts.get("pairs").size(), run.toString());
        long partitionRows = 0;
        for (JsonNode p : counts.get("pairs")) {
            assertEquals(p.get("source_rows").asLong(), p.get("target_rows").asLong(), run.toString());
            partitionRows += p.get("source_rows").asLong();
        }
        assertEquals(5900, partitionRows);
        assertEquals(db.source.count("SELECT count(*) FROM ONLY public.events_a"),
                counts.get("pairs").get(1).get("source_rows").asLong());
    }

    @Test
    void rowsInAnotherPartitionAreAVerificationFailureNamingIt() {
        CliRun run = db.copy("public.moved");
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertEquals(json.get("checksum").asText(), json.get("target_checksum").asText(), run.toString());
        String error = json.get("error").asText();
        assertTrue(error.contains("public.moved_a: source "), error);
        assertTrue(error.contains("public.moved_b: source "), error);
        assertTrue(json.get("relation_counts").get("pairs").size() == 3, run.toString());
    }
}
