package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import io.tributary.verify.Checksum;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table cut into many chunks copied by several workers lands exactly: same count, same checksum, and the
 * same rows when both sides are sorted and compared - for an integer key, a text key and no key at all.
 */
@RequiresPostgres
class ChunkedParallelCopyIsExactTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSources() {
        db = new CopyFixture("chunked", dir);
        db.source.execute(
                // integer key with gaps and a negative range
                "CREATE TABLE public.trades (id bigint PRIMARY KEY, account text, qty numeric(18,4), at timestamptz)",
                "INSERT INTO public.trades SELECT g * 3 - 40000, 'acct-' || (g % 97), g / 7.0,"
                        + " timestamptz '2026-01-01 00:00+00' + g * interval '1 minute' FROM generate_series(1, 60000) g",
                // text key
                "CREATE TABLE public.instruments (code text PRIMARY KEY, name text, lot integer)",
                "INSERT INTO public.instruments SELECT md5(g::text), 'Instrument ' || g, g % 1000"
                        + " FROM generate_series(1, 30000) g",
                // no key at all, duplicate rows and NULLs
                "CREATE TABLE public.vendor_feed (vendor text, payload jsonb, seen date)",
                "INSERT INTO public.vendor_feed SELECT 'v' || (g % 5), CASE WHEN g % 11 = 0 THEN NULL"
                        + " ELSE jsonb_build_object('n', g % 300) END, date '2026-01-01' + (g % 40)"
                        + " FROM generate_series(1, 40000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @CsvSource({"public.trades, id, 60000", "public.instruments, code, 30000", "public.vendor_feed, ctid, 40000"})
    void chunkedParallelCopyIsExact(String table, String key, long rows) {
        CliRun run = db.copy(table, "--chunk-rows", "4000", "--parallelism", "3", "--progress-every", "0.2");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertEquals("copied", json.get("status").asText());
        assertEquals(rows, json.get("rows").asLong());
        assertEquals(key, json.get("chunk_key").asText());
        assertTrue(json.get("chunks").asInt() >= 5, "cut into chunks: " + json);
        assertEquals(json.get("checksum").asText(), json.get("target_checksum").asText());
        // Every chunk read the one snapshot the copy exported; the result names it for a follower.
        assertFalse(json.at("/source_snapshot/imported").asBoolean(true), json.toString());
        assertFalse(json.at("/source_snapshot/id").asText().isEmpty(), json.toString());
        assertTrue(json.at("/source_snapshot/transactions").asText().matches("[0-9]+:[0-9]+:[0-9,]*"), json.toString());

        assertEquals(rows, db.target.count("SELECT count(*) FROM " + table));
        String sorted = "SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM " + table + " t";
        assertEquals(db.source.query(sorted), db.target.query(sorted), "sorted rows are identical");

        // The ledger holds every chunk as copied, and their checksums add up to the table's.
        String tableId = db.target.query("SELECT table_id FROM tributary.table_status WHERE source_table = '"
                + table + "'");
        assertEquals(json.get("chunks").asLong(), db.target.count("SELECT count(*) FROM tributary.chunks"
                + " WHERE table_id = " + tableId + " AND status = 'copied' AND source_checksum = target_checksum"));
        List<Checksum> parts = new ArrayList<>();
        for (String line : db.target.query("SELECT string_agg(rows || ':' || source_checksum, ',')"
                + " FROM tributary.chunks WHERE table_id = " + tableId).split(",")) {
            String[] p = line.split(":");
            parts.add(new Checksum(Long.parseLong(p[0]), p[1]));
        }
        Checksum combined = Checksum.combine(parts);
        assertEquals(rows, combined.rows());
        assertEquals(json.get("checksum").asText(), combined.hex());

        // The source database's checksum of the whole table, computed independently, is the same number.
        CliRun whole = CliRun.run(db.env(), "checksum", "--conn", "src_eu", "--table", table);
        assertEquals(0, whole.exitCode(), whole.toString());
        assertEquals(json.get("checksum").asText(), whole.json().get("checksum").asText());
        assertTrue(run.stderr().contains("chunk plan: "), run.stderr());
    }
}
