package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.testing.CliRun;
import io.tributary.testing.RedshiftCompat;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redshift form of the checksum, run for real on PostgreSQL: a scratch database gets the Redshift-faithful
 * compat layer ({@link RedshiftCompat}: STRTOL, MD5 and TO_HEX capped at 65,535 bytes, floats printed %.17g),
 * then the PostgreSQL source (every demo/Pagila type) and a copy of it shaped as the warehouse stores it
 * (Redshift types: wider numerics, varchar for types Redshift lacks) must give the same portable checksum.
 *
 * <p>The compat functions live in {@code public}; worker connections have an empty search_path, so the Redshift
 * form runs here through the library API ({@link TableChecksum} with {@link ChecksumDialect#REDSHIFT} over
 * {@link InformationSchemaShape}) on a connection with the worker's session settings but search_path
 * {@code public, pg_catalog}.
 */
@RequiresPostgres
class PortableChecksumAgreesAcrossDialectsTest {
    static ScratchDatabase db;

    @BeforeAll
    static void createTables() {
        db = TestPostgres.createDatabase("checksum_dialects");
        RedshiftCompat.install(db);
        db.execute(
                "CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0)",
                "CREATE TABLE public.src (id bigint PRIMARY KEY, name text, price numeric(10,2), qty double precision,"
                        + " ts timestamptz, d date, flag boolean, doc jsonb, raw bytea, span interval, uid uuid,"
                        + " m public.mood, p public.posint, levels numeric(6,2)[], tsv tsvector, code varchar(12),"
                        + " at_local timestamp)",
                "INSERT INTO public.src SELECT g, CASE WHEN g % 7 = 0 THEN NULL WHEN g % 7 = 1 THEN '' ELSE"
                        + " 'n \"' || g || '\",x' END, (g % 1000) / 8.0, g / 3.0,"
                        + " timestamptz '2024-03-01 09:30:00.25+01' + g * interval '37 seconds',"
                        + " date '2024-01-01' + g, g % 2 = 0, jsonb_build_object('g', g, 'tags', jsonb_build_array(1, 'x')),"
                        + " decode(lpad(to_hex(g), 6, '0'), 'hex'), g * interval '90 minutes', md5(g::text)::uuid,"
                        + " (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::public.mood, g, ARRAY[g % 5, 2.50],"
                        + " to_tsvector('simple', 'fill ' || g), 'C' || g, timestamp '2024-01-01 00:00:00' + g * interval '1 ms'"
                        + " FROM generate_series(1, 2000) g",
                "INSERT INTO public.src (id) VALUES (0)",
                // The same rows as the warehouse would hold them: Redshift types, text for types Redshift lacks.
                "CREATE TABLE public.wh (id bigint, name varchar(65535), price numeric(18,4), qty public.rs_double,"
                        + " ts timestamptz, d date, flag boolean, doc varchar(65535), raw bytea, span varchar(100),"
                        + " uid varchar(36), m varchar(10), p integer, levels varchar(200), tsv varchar(200),"
                        + " code varchar(12), at_local timestamp)",
                "SET TimeZone = 'America/New_York'",
                "INSERT INTO public.wh SELECT id, name, price, qty, ts, d, flag, doc::text, raw, span::text, uid::text,"
                        + " m::text, p, replace(replace(levels::text, '.00', ''), '2.50', '2.5'), tsv::text, code, at_local FROM public.src"
                        + " ORDER BY id DESC");
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    private static JsonNode cli(String table, String... extra) {
        String[] args = new String[5 + extra.length];
        System.arraycopy(new String[] {"checksum", "--conn", "scratch", "--table", table}, 0, args, 0, 5);
        System.arraycopy(extra, 0, args, 5, extra.length);
        CliRun run = CliRun.run(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), args);
        assertEquals(0, run.exitCode(), run.toString());
        return run.json();
    }

    /** The library API other phases call: a RowSelection checksummed in a dialect. */
    private static Checksum api(String table, ChecksumDialect dialect, String range) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            for (Map.Entry<String, String> s : ConnectionFactory.SESSION_SETTINGS.entrySet()) {
                if (!s.getKey().equals("search_path")) {
                    st.execute("SET \"" + s.getKey() + "\" = '" + s.getValue() + "'");
                }
            }
            if (dialect == ChecksumDialect.REDSHIFT) {
                st.execute("SET search_path = public, pg_catalog"); // Redshift's MD5 (the compat one) first
            }
            TableRef ref = TableRef.parse(table, "table");
            TableShape shape = (dialect == ChecksumDialect.REDSHIFT ? InformationSchemaShape.read(c, ref)
                    : new CatalogReader().read(c, ref)).orElseThrow();
            RowSelection selection = RowSelection.of(shape, null, range == null ? null : KeyRange.parse(range), table);
            return new TableChecksum(selection, dialect).compute(c);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Test
    void postgresSourceAndRedshiftShapedTableAgree() {
        JsonNode source = cli("public.src", "--hash", "portable");
        assertEquals("portable", source.get("hash").asText());
        assertEquals("postgres", source.get("dialect").asText());
        Checksum warehouse = api("public.wh", ChecksumDialect.REDSHIFT, null);
        assertEquals(2001, warehouse.rows());
        assertEquals(source.get("checksum").asText(), warehouse.hex());
        assertEquals(warehouse, api("public.src", ChecksumDialect.POSTGRES_PORTABLE, null));
        // and the portable hash is not the native one
        assertNotEquals(source.get("checksum").asText(), cli("public.src").get("checksum").asText());
    }

    @Test
    void aChangedValueOnTheWarehouseSideIsSeen() {
        db.execute("CREATE TABLE public.wh2 AS SELECT * FROM public.wh",
                "UPDATE public.wh2 SET price = price + 0.0001 WHERE id = 1234");
        assertNotEquals(api("public.src", ChecksumDialect.POSTGRES_PORTABLE, null),
                api("public.wh2", ChecksumDialect.REDSHIFT, null));
    }

    @Test
    void partitionChecksumsAddUpToTheTableChecksumInTheRedshiftForm() {
        List<Checksum> parts = List.of("id::700", "id:700:1500", "id:1500:").stream()
                .map(range -> api("public.wh", ChecksumDialect.REDSHIFT, range)).toList();
        assertEquals(api("public.wh", ChecksumDialect.REDSHIFT, null), Checksum.combine(parts));
    }

    @Test
    void theHashIsExactlyTheDocumentedFormula() throws Exception {
        db.execute("CREATE TABLE public.tiny (id int, label text, amount numeric(8,3), at timestamptz)",
                "INSERT INTO public.tiny VALUES (1, 'say \"hi\"', 10.500, '2024-05-01 12:00:00+02'),"
                        + " (2, NULL, NULL, NULL), (3, '', 0.000, '1999-12-31 23:59:59.000001+00')");
        // Computed here independently, from the row text the docs describe: each column's md5, or N for NULL.
        List<List<String>> rows = List.of(
                List.of("1", "say \"hi\"", "10.5", "2024-05-01 10:00:00.000000"),
                java.util.Arrays.asList("2", null, null, null),
                List.of("3", "", "0", "1999-12-31 23:59:59.000001"));
        BigInteger total = BigInteger.ZERO;
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        for (List<String> row : rows) {
            String text = row.stream().map(v -> v == null ? "N"
                    : HexFormat.of().formatHex(md5.digest(v.getBytes(StandardCharsets.UTF_8))))
                    .collect(java.util.stream.Collectors.joining(","));
            String hex = HexFormat.of().formatHex(md5.digest(text.getBytes(StandardCharsets.UTF_8)));
            total = total.add(new BigInteger(hex.substring(0, 15), 16));
        }
        String expected = String.format("%016x", total.mod(BigInteger.ONE.shiftLeft(64)).longValue());
        assertEquals(expected, cli("public.tiny", "--hash", "portable").get("checksum").asText());
        assertEquals(expected, api("public.tiny", ChecksumDialect.REDSHIFT, null).hex());
    }

    @Test
    void redshiftWithTheNativeHashIsBadInput() {
        CliRun run = CliRun.run(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), "checksum", "--conn", "scratch",
                "--table", "public.src", "--dialect", "redshift", "--hash", "native");
        assertEquals(2, run.exitCode(), run.toString());
    }
}
