package io.tributary.discover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery reads catalogs and statistics: a big table is never sequentially scanned, and a table nobody
 * reads is not read by discovery either (its counters stay at zero however often discovery runs).
 */
@RequiresPostgres
class DiscoverDoesNotScanTablesTest {
    @TempDir
    static Path dir;
    static ScratchDatabase db;

    @BeforeAll
    static void createTables() {
        // Built in a template, then copied: the copy's counters all start at zero (index builds count as scans).
        ScratchDatabase template = TestPostgres.createDatabase("discover_noscan_tpl");
        template.execute(
                "CREATE TABLE public.ticks (id bigint PRIMARY KEY, symbol text NOT NULL, ts timestamptz NOT NULL, px numeric(18,6))",
                "INSERT INTO public.ticks SELECT g, 'SYM' || g % 50, '2026-05-01'::timestamptz + g * interval '1 second', g / 7.0"
                        + " FROM generate_series(1, 300000) g",
                "CREATE INDEX ticks_ts_idx ON public.ticks (ts)",
                "CREATE TABLE public.legacy_promo_codes (code varchar(24) PRIMARY KEY, id integer UNIQUE,"
                        + " valid_from date NOT NULL)",
                "INSERT INTO public.legacy_promo_codes SELECT 'C' || g, g, '2017-01-01'::date + g FROM generate_series(1, 900) g",
                "CREATE INDEX legacy_valid_from_idx ON public.legacy_promo_codes (valid_from)",
                "VACUUM ANALYZE");
        try {
            db = TestPostgres.createDatabase("discover_noscan", template);
        } finally {
            template.close();
        }
        db.execute("ANALYZE");
        // ticks is in use (a scan and an index lookup); the promo codes were never read.
        Discovery.executeAndFlush(db, "SELECT count(*) FROM public.ticks", "SELECT * FROM public.ticks WHERE id = 7");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void bigTableIsNotScannedAndUnusedTableIsNotRead() throws InterruptedException {
        String ticksBefore = Discovery.scans(db, "public.ticks");
        assertTrue(!ticksBefore.startsWith("0|"), "setup: ticks was scanned, " + ticksBefore);
        assertEquals("0|0", Discovery.scans(db, "public.legacy_promo_codes"));
        Map<String, String> env = Map.of("TRIBUTARY_CONN_SCRATCH", db.uri());

        long started = System.nanoTime();
        JsonNode inventory = Discovery.discover(env, "scratch", dir);
        Discovery.discover(env, "scratch", dir); // a second run must not see the first one's reads
        double seconds = (System.nanoTime() - started) / 1e9;

        // Discovery did probe ticks through its indexes: wait until that shows, so the counters are current.
        long idxBefore = Long.parseLong(ticksBefore.split("\\|")[1]);
        String ticksAfter = ticksBefore;
        for (int i = 0; i < 50 && Long.parseLong(ticksAfter.split("\\|")[1]) <= idxBefore; i++) {
            Thread.sleep(100);
            ticksAfter = Discovery.scans(db, "public.ticks");
        }
        assertTrue(Long.parseLong(ticksAfter.split("\\|")[1]) > idxBefore, "index probes are visible: " + ticksAfter);
        assertEquals(ticksBefore.split("\\|")[0], ticksAfter.split("\\|")[0], "no sequential scan of the big table");
        assertEquals("0|0", Discovery.scans(db, "public.legacy_promo_codes"), "the unused table was not read");
        assertTrue(seconds < 30, "discovery takes seconds: " + seconds);

        JsonNode ticks = Discovery.table(inventory, "public.ticks");
        assertEquals("index", ticks.get("profile").get("key_range").get("source").asText());
        assertEquals(300000, ticks.get("profile").get("key_range").get("max").asLong());
        assertEquals("index", ticks.get("profile").get("time_span").get("source").asText());
        JsonNode promo = Discovery.table(inventory, "public.legacy_promo_codes");
        assertEquals(0, promo.get("usage").get("seq_scan").asLong());
        assertEquals(0, promo.get("usage").get("idx_scan").asLong());
        assertEquals("pg_stats", promo.get("profile").get("time_span").get("source").asText(),
                "the unused table's time span comes from statistics");
        assertEquals("2017-01-02", promo.get("profile").get("time_span").get("min").asText());
        assertEquals("2019-06-20", promo.get("profile").get("time_span").get("max").asText());
    }
}
