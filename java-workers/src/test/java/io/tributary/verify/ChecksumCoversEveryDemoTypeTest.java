package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every type the demo sources and Pagila use, stored one way on the "source" and another way on the "target"
 * (wider numeric scale, numeric arrays with other scales and nesting, json vs jsonb, a domain vs its base type,
 * timestamps written in another time zone, an enum in another database, an integer key as numeric): the same
 * data hashes the same, in both hash forms; one changed
 * element of a nested numeric array does not.
 */
@RequiresPostgres
class ChecksumCoversEveryDemoTypeTest {
    static ScratchDatabase db;
    /** Another database: its enum has another OID (which PostgreSQL's enum hash uses), its ids are numeric. */
    static ScratchDatabase other;

    private static final String COLUMNS = "id, price, prices, grid, ratio, ts, d, span, flag, name, raw, doc, uid,"
            + " rating, amount, tsv, fee, at_local";
    private static final String[] TYPES = {
        "CREATE TYPE public.mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17')",
        "CREATE DOMAIN public.price AS numeric(10,2) CHECK (VALUE >= 0)"};
    private static final String SOURCE_TABLE = "CREATE TABLE public.src (id int, price public.price,"
            + " prices numeric(8,2)[], grid numeric(6,3)[][], ratio double precision, ts timestamptz, d date, span interval, flag boolean, name text,"
            + " raw bytea, doc json, uid uuid, rating public.mpaa_rating, amount numeric, tsv tsvector,"
            + " fee money, at_local timestamp(3))";
    private static final String SOURCE_ROWS = "INSERT INTO public.src VALUES"
            + " (1, 4.99, '{1.50,2.00,NULL}', '{{1.500,2.000},{0.250,10.000}}', 0.1,"
            + "  '2024-01-01 12:00:00.123456+02', '2024-02-29', '1 day 02:03:04.5', true, 'Zoë \"q\"',"
            + "  '\\x00ff10', '{\"b\": [1, 2.50], \"a\": {\"x\": null}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
            + "  'PG-13', 100.000, to_tsvector('english', 'The quick brown foxes'), 12.30,"
            + "  '2024-01-01 00:00:00.5'),"
            + " (2, 0.00, '{}', '{{0.100}}', 1e300, 'infinity', '0001-01-01', '-3 mons', false, '',"
            + "  '\\x', '[]', '00000000-0000-0000-0000-000000000000', 'NC-17', -0.0, '', 0, '1999-12-31 23:59:59'),"
            + " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
            + "  NULL, NULL)";

    @BeforeAll
    static void createTables() {
        db = TestPostgres.createDatabase("checksum_types");
        db.execute(
                TYPES[0], TYPES[1], SOURCE_TABLE, SOURCE_ROWS,
                "CREATE TABLE public.tgt (id bigint, price numeric(12,4), prices numeric[], grid numeric[],"
                        + " ratio double precision, ts timestamptz, d date, span interval, flag boolean, name varchar(40),"
                        + " raw bytea, doc jsonb, uid uuid, rating public.mpaa_rating, amount numeric(20,6), tsv tsvector,"
                        + " fee money, at_local timestamp)",
                "SET TimeZone = 'Pacific/Auckland'",
                "INSERT INTO public.tgt SELECT " + COLUMNS + " FROM public.src ORDER BY id DESC",
                "CREATE TABLE public.changed AS SELECT * FROM public.tgt",
                "UPDATE public.changed SET grid = '{{1.5,2},{0.25,10.001}}' WHERE id = 1");
        other = TestPostgres.createDatabase("checksum_types_other");
        other.execute("CREATE TYPE public.shifts_oids AS ENUM ('x')", TYPES[0], TYPES[1],
                SOURCE_TABLE.replace("(id int,", "(id numeric(12,0),"), SOURCE_ROWS);
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
        if (other != null) {
            other.close();
        }
    }

    private static String hex(String table, String... extra) {
        return hex(db, table, extra);
    }

    private static String hex(ScratchDatabase in, String table, String... extra) {
        String[] args = new String[7 + extra.length];
        System.arraycopy(new String[] {"checksum", "--conn", "scratch", "--table", table, "--columns",
            COLUMNS.replace(" ", "")}, 0, args, 0, 7);
        System.arraycopy(extra, 0, args, 7, extra.length);
        CliRun run = CliRun.run(Map.of("TRIBUTARY_CONN_SCRATCH", in.uri()), args);
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(3, run.json().get("rows").asLong());
        return run.json().get("checksum").asText();
    }

    @Test
    void sameDataStoredDifferentlyHashesTheSame() {
        assertEquals(hex("public.src"), hex("public.tgt"));
    }

    @Test
    void sameDataInAnotherDatabaseHashesTheSame() {
        assertNotEquals(db.query("SELECT 'public.mpaa_rating'::regtype::oid"),
                other.query("SELECT 'public.mpaa_rating'::regtype::oid"));
        assertEquals(hex("public.tgt"), hex(other, "public.src"));
    }

    @Test
    void samePortableHashToo() {
        assertEquals(hex("public.src", "--hash", "portable"), hex("public.tgt", "--hash", "portable"));
    }

    @Test
    void oneNestedNumericElementChangedIsADifference() {
        assertNotEquals(hex("public.tgt"), hex("public.changed"));
        assertNotEquals(hex("public.tgt", "--hash", "portable"), hex("public.changed", "--hash", "portable"));
    }
}
