package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
 * Chunks are verified together, in one grouped read of the target after they all landed; a difference the target
 * introduces in one row of one chunk must still fail exactly that chunk: exit 3, the message names the table and
 * that chunk's key range, the ledger marks that chunk (only) a mismatch and its rows are gone, the other chunks are
 * verified. A re-run, once the target behaves, copies just that chunk.
 */
@RequiresPostgres
class PlantedDifferenceNamesItsChunkTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("planted", dir);
        db.source.execute(
                "CREATE TABLE public.orders (id bigint PRIMARY KEY, account text, amount numeric(12,2))",
                "INSERT INTO public.orders SELECT g, 'acct-' || (g % 97), g / 4.0 FROM generate_series(1, 10000) g");
        // The target silently changes one amount, in the chunk [4001, 6001) of the 5 equal-width chunks below.
        db.target.execute(
                "CREATE TABLE public.orders (id bigint, account text, amount numeric(12,2))",
                "CREATE FUNCTION public.skew() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " IF NEW.id = 5000 THEN NEW.amount := NEW.amount + 0.01; END IF; RETURN NEW; END $$",
                "CREATE TRIGGER skew BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.skew()");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void onlyTheChunkHoldingTheDifferenceFailsAndIsCopiedAgain() {
        CliRun run = db.copy("public.orders", "--chunk-rows", "2000", "--parallelism", "2");
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertTrue(json.get("error").asText().contains("public.orders")
                && json.get("error").asText().contains("in key range id [4001, 6001)"), json.toString());
        assertEquals("id:4001:6001", json.get("key_range").asText(), json.toString());
        assertEquals(2000, json.get("rows").asLong());
        assertEquals(2000, json.get("target_rows").asLong(), "same rows, one value differs");
        assertNotEquals(json.get("checksum").asText(), json.get("target_checksum").asText());

        assertEquals("4001:6001", db.target.query(
                "SELECT string_agg(key_lo || ':' || key_hi, ',') FROM tributary.chunks WHERE status = 'mismatch'"));
        assertEquals(4, db.target.count("SELECT count(*) FROM tributary.chunks WHERE status = 'copied'"
                + " AND source_checksum = target_checksum"), "the other four chunks are verified");
        assertEquals(8000, db.target.count("SELECT count(*) FROM public.orders"), "the mismatching chunk's rows are gone");
        assertEquals(0, db.target.count("SELECT count(*) FROM public.orders WHERE id >= 4001 AND id < 6001"));
        assertEquals("mismatch", db.target.query("SELECT status FROM tributary.table_status"));

        db.target.execute("DROP TRIGGER skew ON public.orders");
        CliRun rerun = db.copy("public.orders", "--chunk-rows", "2000", "--parallelism", "2");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertTrue(rerun.stderr().contains("resuming: 4 of 5 chunks already copied"), rerun.stderr());
        assertEquals(10000, rerun.json().get("rows").asLong());
        assertEquals(rerun.json().get("checksum").asText(), rerun.json().get("target_checksum").asText());
        CliRun source = CliRun.run(db.env(), "checksum", "--conn", "src_eu", "--table", "public.orders");
        assertEquals(source.json().get("checksum").asText(), rerun.json().get("checksum").asText());
        assertEquals(5, db.target.count("SELECT count(*) FROM tributary.chunks WHERE status = 'copied'"));
        assertEquals(10000, db.target.count("SELECT count(DISTINCT id) FROM public.orders"));
    }
}
