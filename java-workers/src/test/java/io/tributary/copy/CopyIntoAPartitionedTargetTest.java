package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one grouped verification read also works when the target is partitioned (as `tributary schema` builds
 * Pagila's payment): xmin and the page ranges it is split into apply per partition, and every chunk, whose rows
 * spread over both partitions, is verified.
 */
@RequiresPostgres
class CopyIntoAPartitionedTargetTest {
    private static final String TABLE = "(id bigint NOT NULL, day date NOT NULL, note text) PARTITION BY RANGE (day)";
    private static final String[] PARTITIONS = {
        "CREATE TABLE public.events_a PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
        "CREATE TABLE public.events_b PARTITION OF public.events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')"};

    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("partitioned", dir);
        db.source.execute("CREATE TABLE public.events " + TABLE, PARTITIONS[0], PARTITIONS[1],
                "ALTER TABLE public.events ADD PRIMARY KEY (id, day)",
                "INSERT INTO public.events SELECT g, DATE '2026-01-01' + (g % 59), repeat(md5(g::text), 3)"
                        + " FROM generate_series(1, 60000) g");
        db.target.execute("CREATE TABLE public.events " + TABLE, PARTITIONS[0], PARTITIONS[1]);
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void everyChunkIsVerifiedAcrossPartitions() {
        CliRun run = db.copy("public.events", "--chunk-rows", "10000", "--parallelism", "2");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(60000, run.json().get("rows").asLong());
        assertEquals(run.json().get("checksum").asText(), run.json().get("target_checksum").asText());
        CliRun target = CliRun.run(db.env(), "checksum", "--conn", "consolidated", "--table", "public.events");
        assertEquals(run.json().get("checksum").asText(), target.json().get("checksum").asText(), target.toString());
        assertEquals(6, db.target.count("SELECT count(*) FROM tributary.chunks WHERE status = 'copied'"
                + " AND source_checksum = target_checksum"));
        assertEquals(60000, db.target.count("SELECT count(*) FROM public.events"));
    }
}
