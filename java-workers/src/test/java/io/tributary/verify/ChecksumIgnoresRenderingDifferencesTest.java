package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.util.Map;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Same data, differently stored or inserted, hashes the same; different data does not. */
@RequiresPostgres
class ChecksumIgnoresRenderingDifferencesTest {
    static ScratchDatabase db;

    @BeforeAll
    static void createTables() {
        db = TestPostgres.createDatabase("checksum_canonical");
        db.execute(
                "CREATE TABLE public.a (id int, v numeric(10,2), j json, t text, ts timestamptz)",
                "INSERT INTO public.a VALUES (1, 1.50, '{\"a\": 1, \"b\": [1, 2]}', '', '2024-01-01 12:00:00+02'),"
                        + " (2, NULL, NULL, NULL, NULL), (3, -0.10, '[]', 'x', '2024-06-30 23:59:59.5+00')",
                // wider scale, json spelled differently, rows in another order, timestamps in another offset
                "CREATE TABLE public.b (id int, v numeric(12,4), j json, t text, ts timestamptz)",
                "SET TimeZone = 'America/New_York'",
                "INSERT INTO public.b VALUES (3, -0.1000, '[ ]', 'x', '2024-06-30 19:59:59.5-04'),"
                        + " (2, NULL, NULL, NULL, NULL), (1, 1.5000, '{\"b\":[1,2],\"a\":1}', '', '2024-01-01 10:00:00Z')",
                // NULL instead of an empty string is different data
                "CREATE TABLE public.c AS SELECT id, v, j, CASE WHEN t = '' THEN NULL ELSE t END AS t, ts FROM public.a",
                // same data, columns in another order
                "CREATE TABLE public.d AS SELECT ts, t, j, v, id FROM public.a");
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    private static CliRun checksum(String table, String... extra) {
        String[] args = new String[5 + extra.length];
        args[0] = "checksum";
        args[1] = "--conn";
        args[2] = "scratch";
        args[3] = "--table";
        args[4] = table;
        System.arraycopy(extra, 0, args, 5, extra.length);
        CliRun run = CliRun.run(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), args);
        assertEquals(0, run.exitCode(), run.toString());
        return run;
    }

    private static String hex(String table, String... extra) {
        return checksum(table, extra).json().get("checksum").asText();
    }

    @Test
    void equalDataHashesEquallyWhateverScaleSpellingOrderOrOffset() {
        assertEquals(hex("public.a"), hex("public.b"));
        assertEquals(3, checksum("public.b").json().get("rows").asLong());
    }

    @Test
    void nullAndEmptyStringDiffer() {
        assertNotEquals(hex("public.a"), hex("public.c"));
    }

    @Test
    void columnOrderIsTheTargetShapeOrder() {
        assertNotEquals(hex("public.a"), hex("public.d"));
        assertEquals(hex("public.a"), hex("public.d", "--columns", "id,v,j,t,ts"));
    }
}
