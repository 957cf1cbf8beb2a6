package io.tributary.diff;

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

/** Consolidation remapped the keys (target id = source id + offset): the diff compares in the target's key space. */
@RequiresPostgres
class DiffFollowsRemappedKeysTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("diff_remap", dir);
        db.source.execute("CREATE TABLE public.u (id int PRIMARY KEY, name text)",
                "INSERT INTO public.u SELECT g, 'u' || g FROM generate_series(1, 20000) g");
        db.target.execute("CREATE TABLE public.u (id bigint PRIMARY KEY, name text)",
                "INSERT INTO public.u SELECT g + 1000000000, 'u' || g FROM generate_series(1, 20000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void remappedKeysAreIdenticalAndChangesUseTargetKeys() {
        CliRun same = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.u",
                "--target", "consolidated", "--source-key-offset", "1000000000");
        assertEquals(0, same.exitCode(), same.toString());
        assertEquals(1, same.json().get("passes").asInt());

        db.target.execute("UPDATE public.u SET name = 'x' WHERE id = 1000012345");
        CliRun run = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.u",
                "--target", "consolidated", "--source-key-offset", "1000000000", "--leaf-rows", "1000");
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertEquals(1, json.get("different").asLong());
        assertEquals(0, json.get("missing_on_target").asLong() + json.get("extra_on_target").asLong());
        JsonNode d = json.get("differences").get(0);
        assertEquals(1000012345L, d.get("key").get("id").asLong());
        assertEquals("[\"name\"]", d.get("columns").toString());
        assertTrue(json.get("segments_compared").asInt() > 1); // bisected, not read whole
    }
}
