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
 * Time columns holding 'infinity' / '-infinity' (validity ranges: "valid forever") keep finite min/max in the
 * profile, with the sentinels listed apart, whether read through an index or from pg_stats; a table that was
 * never analyzed (reltuples -1, no pg_stats rows) and never scanned has an unknown size and no ranges.
 */
@RequiresPostgres
class ProfileKeepsInfinityAndMissingStatisticsApartTest {
    @TempDir
    static Path dir;
    static ScratchDatabase db;

    @BeforeAll
    static void createTables() {
        String validity = " (id bigint PRIMARY KEY, valid_from timestamptz NOT NULL, valid_to timestamp, note text)";
        String rows = " SELECT g, CASE WHEN g = 1 THEN '-infinity' ELSE '2020-01-01'::timestamptz + g * interval '1 day' END,"
                + " CASE WHEN g % 3 = 0 THEN 'infinity' ELSE '2021-01-01'::timestamp + g * interval '1 day' END, 'n'"
                + " FROM generate_series(1, 500) g";
        ScratchDatabase template = TestPostgres.createDatabase("discover_infinity_tpl");
        template.execute(
                "CREATE TABLE public.price_validity" + validity,
                "INSERT INTO public.price_validity" + rows,
                "CREATE INDEX price_validity_from_idx ON public.price_validity (valid_from)",
                "INSERT INTO public.price_validity VALUES (1000, 'infinity', NULL, 'open-ended')",
                "CREATE TABLE public.old_validity" + validity,
                "INSERT INTO public.old_validity" + rows,
                "CREATE INDEX old_validity_from_idx ON public.old_validity (valid_from)",
                "CREATE TABLE public.only_forever (id int PRIMARY KEY, until date NOT NULL)",
                "INSERT INTO public.only_forever VALUES (1, 'infinity'), (2, 'infinity')",
                // Another column named id, of another type (as in pgcopydb's schemas): its statistics must never be
                // cast to bigint while the key ranges above are read from pg_stats.
                "CREATE TABLE public.tokens (id uuid NOT NULL, label text)",
                "INSERT INTO public.tokens SELECT md5(g::text)::uuid, 't' FROM generate_series(1, 300) g",
                "VACUUM ANALYZE",
                // Created after the last ANALYZE and kept from autovacuum: reltuples -1, no pg_stats; its index
                // build counts as a scan, but the copy below starts with zeroed counters: never scanned either.
                "CREATE TABLE public.never_analyzed (id bigint PRIMARY KEY, at timestamptz) WITH (autovacuum_enabled = off)",
                "INSERT INTO public.never_analyzed VALUES (1, 'infinity'), (2, now())");
        try {
            db = TestPostgres.createDatabase("discover_infinity", template);
        } finally {
            template.close();
        }
        db.execute("ANALYZE public.price_validity, public.old_validity, public.only_forever");
        Discovery.executeAndFlush(db, "SELECT count(*) FROM public.price_validity", "SELECT count(*) FROM public.only_forever");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void infinitiesAreListedApartAndMissingStatisticsAreUnknown() {
        assertEquals("-1", db.query("SELECT reltuples::int FROM pg_class WHERE oid = 'public.never_analyzed'::regclass"),
                "setup: never analyzed");
        JsonNode inventory = Discovery.discover(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), "scratch", dir);

        JsonNode read = Discovery.table(inventory, "public.price_validity").get("profile").get("time_span");
        assertEquals("valid_from", read.get("column").asText());
        assertEquals("index", read.get("source").asText());
        assertEquals("2020-01-03T00:00:00+00:00", read.get("min").asText(), read.toString());
        assertEquals("2021-05-15T00:00:00+00:00", read.get("max").asText(), read.toString());
        assertEquals("[\"-infinity\",\"infinity\"]", read.get("infinities").toString());

        JsonNode unread = Discovery.table(inventory, "public.old_validity").get("profile").get("time_span");
        assertEquals("pg_stats", unread.get("source").asText(), "never scanned: never read, statistics only");
        assertEquals("[\"-infinity\"]", unread.get("infinities").toString(), unread.toString());
        assertTrue(unread.get("min").asText().startsWith("2020-01-0"), unread.toString());
        assertTrue(unread.get("max").asText().startsWith("2021-05-1"), unread.toString());
        JsonNode unreadKeys = Discovery.table(inventory, "public.old_validity").get("profile").get("key_range");
        assertEquals("pg_stats", unreadKeys.get("source").asText(), unreadKeys.toString());
        assertEquals(1, unreadKeys.get("min").asLong(), unreadKeys.toString());
        assertEquals(500, unreadKeys.get("max").asLong(), unreadKeys.toString());

        JsonNode forever = Discovery.table(inventory, "public.only_forever").get("profile").get("time_span");
        assertTrue(forever.get("min").isNull() && forever.get("max").isNull(), forever.toString());
        assertEquals("[\"infinity\"]", forever.get("infinities").toString());

        JsonNode never = Discovery.table(inventory, "public.never_analyzed");
        assertEquals(0, never.get("usage").get("seq_scan").asLong() + never.get("usage").path("idx_scan").asLong(),
                "setup: never scanned " + never.get("usage"));
        assertTrue(never.get("size").get("rows_estimate").isNull(), never.get("size").toString());
        assertTrue(never.get("profile").get("time_span") == null || never.get("profile").get("time_span").isNull(),
                never.get("profile").toString());
        assertEquals("none", never.get("profile").get("key_range").get("source").asText());
        assertEquals(0, never.get("profile").get("columns").size(), "no pg_stats rows");
    }
}
