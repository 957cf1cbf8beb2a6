package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks that landed but were never verified (the worker died between the last chunk's commit and the grouped
 * verification read) are verified by the re-run, without being copied again; one whose rows changed in the target
 * meanwhile fails, named by its key range. The ledger is put back into that state by hand (a kill could not hit
 * that moment reliably).
 */
@RequiresPostgres
class ResumeVerifiesLandedChunksTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("landed", dir);
        db.source.execute(
                "CREATE TABLE public.orders (id bigint PRIMARY KEY, account text, amount numeric(12,2))",
                "INSERT INTO public.orders SELECT g, 'acct-' || (g % 97), g / 4.0 FROM generate_series(1, 10000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    private static void unverify(String chunks) {
        db.target.execute("UPDATE tributary.chunks SET status = 'landed', target_checksum = NULL"
                + " WHERE chunk_no IN (" + chunks + ")", "UPDATE tributary.table_status SET status = 'copying'");
    }

    @Test
    void landedChunksAreVerifiedNotCopiedAgainAndAChangedOneFails() {
        CliRun first = db.copy("public.orders", "--chunk-rows", "2000", "--parallelism", "2");
        assertEquals(0, first.exitCode(), first.toString());
        String landedAt = "SELECT string_agg(chunk_no || '@' || finished_at || '#' || target_xid, ',' ORDER BY chunk_no)"
                + " FROM tributary.chunks";
        String before = db.target.query(landedAt);

        unverify("1, 3");
        CliRun resumed = db.copy("public.orders", "--chunk-rows", "2000", "--parallelism", "2");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.stderr().contains("resuming: 5 of 5 chunks already copied (10,000 rows, 2 of them still"
                + " to verify), 0 to go"), resumed.stderr());
        assertEquals(first.json().get("checksum").asText(), resumed.json().get("target_checksum").asText());
        assertEquals(5, db.target.count("SELECT count(*) FROM tributary.chunks WHERE status = 'copied'"
                + " AND source_checksum = target_checksum"));
        assertEquals(before, db.target.query(landedAt), "verified where they were, not copied again");

        unverify("3");
        db.target.execute("UPDATE public.orders SET amount = amount + 1 WHERE id = 7000");
        CliRun changed = db.copy("public.orders", "--chunk-rows", "2000", "--parallelism", "2");
        assertEquals(3, changed.exitCode(), changed.toString());
        assertTrue(changed.json().get("error").asText().contains("in key range id [6001, 8001)"), changed.toString());
        assertEquals(2000, changed.json().get("rows").asLong());
        assertEquals(1999, changed.json().get("target_rows").asLong(), "the updated row is no longer the chunk's");
        assertEquals("mismatch", db.target.query("SELECT status FROM tributary.chunks WHERE chunk_no = 3"));
        assertEquals(4, db.target.count("SELECT count(*) FROM tributary.chunks WHERE status = 'copied'"));
    }
}
