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
 * Issue 15, "silent duplication reported as verified" (pgcopydb's 2-inherit.sql): an inheritance parent with no rows
 * of its own and two children of 1,000 rows each. Read without ONLY, the parent's copy carried its children's 2,000
 * rows and both checksums, over that same SELECT, agreed. Now the parent copies its own rows only, each child its
 * own, and every read (copy, both checksums, chunk plan, diff, the target's row accounting) sees the same rows.
 */
@RequiresPostgres
class InheritanceParentCopiesOnlyItsOwnRowsTest {
    private static final String PARENT = "(id integer NOT NULL, a integer NOT NULL, b boolean NOT NULL,"
            + " CONSTRAINT pk_parent_model PRIMARY KEY (id))";
    private static final String CHILD_1 = "(c jsonb NOT NULL) INHERITS (public.parent_model)";
    private static final String CHILD_2 = "(d integer NOT NULL) INHERITS (public.parent_model)";

    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("inherit", dir);
        for (var side : new io.tributary.testing.ScratchDatabase[] {db.source, db.target}) {
            side.execute("CREATE TABLE public.parent_model " + PARENT,
                    "CREATE TABLE public.child_model_1 " + CHILD_1,
                    "CREATE TABLE public.child_model_2 " + CHILD_2,
                    // a parent with rows of its own too, big enough for several chunks
                    "CREATE TABLE public.base_account (id integer PRIMARY KEY, owner text)",
                    "CREATE TABLE public.broker_account (broker text) INHERITS (public.base_account)");
        }
        db.source.execute(
                "INSERT INTO public.child_model_1 (id, a, b, c) SELECT 10000 + s, 1, false, '[1, 2, 3, 4]'"
                        + " FROM generate_series(1, 1000) s",
                "INSERT INTO public.child_model_2 (id, a, b, d) SELECT 20000 + s, 1, false, 1313"
                        + " FROM generate_series(1, 1000) s",
                "INSERT INTO public.base_account SELECT g, 'owner ' || g FROM generate_series(1, 5000) g",
                "INSERT INTO public.broker_account SELECT 100000 + g, 'broker owner ' || g, 'b' || (g % 7)"
                        + " FROM generate_series(1, 3000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void theParentCopiesNoneOfItsChildrensRowsAndEachChildItsOwn() {
        CliRun parent = db.copy("public.parent_model");
        assertEquals(0, parent.exitCode(), parent.toString());
        assertEquals(0, parent.json().get("rows").asLong(), parent.toString());
        CliRun child1 = db.copy("public.child_model_1");
        CliRun child2 = db.copy("public.child_model_2");
        assertEquals(0, child1.exitCode(), child1.toString());
        assertEquals(0, child2.exitCode(), child2.toString());
        assertEquals(1000, child1.json().get("rows").asLong());
        assertEquals(1000, child2.json().get("rows").asLong());

        assertEquals(0, db.target.count("SELECT count(*) FROM ONLY public.parent_model"));
        assertEquals(1000, db.target.count("SELECT count(*) FROM ONLY public.child_model_1"));
        assertEquals(1000, db.target.count("SELECT count(*) FROM ONLY public.child_model_2"));
        assertEquals(2000, db.target.count("SELECT count(*) FROM public.parent_model"));

        // the parent's independent figures: its own rows, 0 on both sides
        JsonNode counts = parent.json().get("relation_counts");
        assertEquals("per relation", counts.get("how").asText(), parent.toString());
        assertEquals("public.parent_model", counts.get("pairs").get(0).get("relation").asText());
        assertEquals(0, counts.get("pairs").get(0).get("source_rows").asLong());
        assertEquals(0, counts.get("pairs").get(0).get("target_rows").asLong());

        // a checksum of the parent on either side counts its own rows only
        CliRun sourceSum = CliRun.run(db.env(), "checksum", "--conn", "src_eu", "--table", "public.parent_model");
        CliRun targetSum = CliRun.run(db.env(), "checksum", "--conn", "consolidated", "--table", "public.parent_model");
        assertEquals(0, sourceSum.json().get("rows").asLong(), sourceSum.toString());
        assertEquals(0, targetSum.json().get("rows").asLong(), targetSum.toString());

        // a re-run of the parent, after its children landed in the target, still finds nothing unaccounted
        CliRun again = db.copy("public.parent_model");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("skipped", again.json().get("status").asText());
    }

    @Test
    void aParentWithRowsOfItsOwnIsChunkedOverThoseRowsOnly() {
        CliRun child = db.copy("public.broker_account");
        assertEquals(0, child.exitCode(), child.toString());
        CliRun parent = db.copy("public.base_account", "--chunk-rows", "1000", "--parallelism", "2");
        assertEquals(0, parent.exitCode(), parent.toString());
        assertEquals(5000, parent.json().get("rows").asLong());
        assertEquals(parent.json().get("checksum").asText(), parent.json().get("target_checksum").asText());
        assertTrue(parent.json().get("chunks").asInt() >= 5, parent.toString());
        assertEquals(5000, db.target.count("SELECT count(*) FROM ONLY public.base_account"));
        assertEquals(3000, db.target.count("SELECT count(*) FROM ONLY public.broker_account"));
        assertEquals(5000, db.target.count("SELECT max(id) FROM ONLY public.base_account"));

        // diff reads the same rows on both sides: identical, 5,000 rows each
        CliRun diff = CliRun.run(db.env(), "diff", "--source", "src_eu", "--table", "public.base_account",
                "--target", "consolidated", "--leaf-rows", "100");
        assertEquals(0, diff.exitCode(), diff.toString());
        assertTrue(diff.json().get("identical").asBoolean(), diff.toString());
        assertEquals(5000, diff.json().get("rows_source").asLong());
        assertEquals(5000, diff.json().get("rows_target").asLong());
    }
}
