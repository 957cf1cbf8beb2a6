package io.tributary.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every mapped type goes PostgreSQL → Parquet (ZSTD and Snappy, Hadoop-free) → PostgreSQL and comes back
 * equal, compared by the database (EXCEPT both ways), not by the code under test.
 */
@RequiresPostgres
class ParquetKeepsEveryTypeExactlyTest {
    @TempDir
    static Path dir;
    static ScratchDatabase db;

    static final String TABLE_DDL = """
            CREATE TABLE public.all_types (
              id bigint PRIMARY KEY, small smallint, med integer, flag boolean, r real, d double precision,
              price numeric(12,4), big numeric(30,10), whole numeric(5,0), day date, at timestamptz,
              local_at timestamp, note text, code varchar(5), ref uuid, doc jsonb, tags text[], raw bytea,
              span interval)""";

    @BeforeAll
    static void createDatabase() {
        db = TestPostgres.createDatabase("parquet_types");
        db.execute(TABLE_DDL, """
                INSERT INTO public.all_types VALUES
                 (1, -32768, 2147483647, true, 1.5, 0.1, 12345678.1234, -12345678901234567890.0123456789, 99999,
                  '2024-02-29', '2024-03-10 06:59:59.999999+00', '2024-03-10 02:30:00', 'tab\there "quoted" \\ back',
                  'héllo', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": [1, 2.50], "a": null}', '{x,"y z",NULL}',
                  '\\x00ff10', '1 day 02:03:04'),
                 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                  NULL, NULL),
                 (3, 0, -1, false, 'NaN', '-Infinity', -0.0001, 0.0000000001, -1, '1900-01-01',
                  '1969-12-31 23:59:59.000001+00', '0001-01-01 00:00:00', E'line\\nbreak\\r', '', 
                  '00000000-0000-0000-0000-000000000000', '[]', '{}', '\\x', '-3 mons'),
                 (4, 7, 7, true, 3.4028235e38, 1e-300, 0, 1, 0, '9999-12-31', '2262-04-11 23:47:16.854775+00',
                  '1970-01-01 00:00:00', repeat('ü', 3), 'abcde', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
                  '"just a string"', '{"a,b"}', '\\xdeadbeef', '0')""");
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    static TableShape shape(Connection c, String table) throws Exception {
        return new CatalogReader().read(c, TableRef.parse(table, "table")).orElseThrow();
    }

    @Test
    void zstdRoundTripIsExact() throws Exception {
        roundTrip(CompressionCodecName.ZSTD, "back_zstd");
    }

    @Test
    void snappyRoundTripIsExact() throws Exception {
        roundTrip(CompressionCodecName.SNAPPY, "back_snappy");
    }

    void roundTrip(CompressionCodecName codec, String back) throws Exception {
        TypeMapping mapping = new TypeMapping(TypeMapping.JsonMapping.SUPER, null);
        try (Connection c = db.connect()) {
            List<ParquetColumn> columns = mapping.map("public.all_types", shape(c, "public.all_types").columns());
            c.setAutoCommit(false);
            String select = "SELECT " + columns.stream().map(ParquetColumn::selectSql).collect(Collectors.joining(", "))
                    + " FROM public.all_types ORDER BY id";
            List<Path> files = new ArrayList<>();
            ParquetExport.Result result = ParquetExport.write(c, select, columns, ParquetExport.split(4, 3), codec,
                    Map.of("tributary.table", "public.all_types"), i -> {
                        Path p = dir.resolve(back + "-" + i + ".parquet");
                        files.add(p);
                        return Files.newOutputStream(p);
                    }, "public.all_types");
            c.commit();
            assertEquals(4, result.rows());
            assertEquals(List.of(2L, 1L, 1L), result.files().stream().map(ParquetExport.FileWritten::rows).toList());
            for (int i = 0; i < files.size(); i++) {
                assertEquals(Files.size(files.get(i)), result.files().get(i).bytes());
            }

            String ddl = "CREATE TABLE public." + back + " (" + columns.stream()
                    .map(col -> Identifiers.quote(col.name()) + " " + col.postgresType())
                    .collect(Collectors.joining(", ")) + ")";
            c.createStatement().execute(ddl);
            List<String> quoted = columns.stream().map(col -> Identifiers.quote(col.name())).toList();
            long loaded = 0;
            for (Path f : files) {
                try (ParquetRowReader reader = new ParquetRowReader(f)) {
                    assertTrue(reader.schema().getFields().get(10).getLogicalTypeAnnotation()
                            instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation t && t.isAdjustedToUTC());
                }
                loaded += ParquetCopyIn.copy(c, "public." + back, quoted, f);
            }
            c.commit();
            assertEquals(4, loaded);
            String sourceRows = "SELECT " + columns.stream()
                    .map(col -> "(" + col.selectSql() + ")::" + col.postgresType()).collect(Collectors.joining(", "))
                    + " FROM public.all_types";
            assertEquals(0, db.count("SELECT count(*) FROM ((" + sourceRows + ") EXCEPT ALL (SELECT * FROM public."
                    + back + ")) d"), "rows lost or changed");
            assertEquals(0, db.count("SELECT count(*) FROM ((SELECT * FROM public." + back + ") EXCEPT ALL ("
                    + sourceRows + ")) d"), "rows invented");
        }
    }

    @Test
    void unboundedNumericIsRefusedUnlessMappedAndNeverRounded() throws Exception {
        db.execute("CREATE TABLE public.prices (id int, px numeric)",
                "INSERT INTO public.prices VALUES (1, 1.23456789), (2, 100)");
        try (Connection c = db.connect()) {
            TableShape prices = shape(c, "public.prices");
            JobFailure refused = assertThrows(JobFailure.class,
                    () -> new TypeMapping(TypeMapping.JsonMapping.TEXT, null).map("public.prices", prices.columns()));
            assertEquals(ExitCode.BAD_INPUT, refused.exitCode());
            assertTrue(refused.getMessage().contains("public.prices.px is an unbounded numeric"), refused.getMessage());

            List<ParquetColumn> narrow = new TypeMapping(TypeMapping.JsonMapping.TEXT, "decimal(18,4)")
                    .map("public.prices", prices.columns());
            c.setAutoCommit(false);
            JobFailure rounding = assertThrows(JobFailure.class, () -> ParquetExport.write(c,
                    "SELECT id, px FROM public.prices ORDER BY id", narrow, new long[] {2},
                    CompressionCodecName.ZSTD, Map.of(), i -> OutputStream.nullOutputStream(), "public.prices"));
            c.rollback();
            assertEquals(ExitCode.BAD_INPUT, rounding.exitCode());
            assertTrue(rounding.getMessage().contains("1.23456789 does not fit DECIMAL(18,4) without rounding"),
                    rounding.getMessage());

            List<ParquetColumn> wide = new TypeMapping(TypeMapping.JsonMapping.TEXT, "decimal(38,10)")
                    .map("public.prices", prices.columns());
            assertEquals(2, ParquetExport.write(c, "SELECT id, px FROM public.prices", wide, new long[] {2},
                    CompressionCodecName.ZSTD, Map.of(), i -> OutputStream.nullOutputStream(), "public.prices").rows());
            c.rollback();
        }
    }

    @Test
    void overLongTextIsReportedNotTruncated() throws Exception {
        db.execute("CREATE TABLE public.notes (id int, body text)",
                "INSERT INTO public.notes VALUES (1, repeat('x', 70000)), (2, 'short'), (3, repeat('€', 30000))");
        try (Connection c = db.connect()) {
            List<ParquetColumn> columns = new TypeMapping(TypeMapping.JsonMapping.TEXT, null)
                    .map("public.notes", shape(c, "public.notes").columns());
            c.setAutoCommit(false);
            Path file = dir.resolve("notes.parquet");
            ParquetExport.Result result = ParquetExport.write(c, "SELECT id, body FROM public.notes ORDER BY id",
                    columns, new long[] {3}, CompressionCodecName.ZSTD, Map.of(), i -> Files.newOutputStream(file),
                    "public.notes");
            c.rollback();
            assertEquals(Map.of("body", new ParquetExport.OverLongText(2, 90000, 65535)), result.overLongText());
            try (ParquetRowReader reader = new ParquetRowReader(file)) {
                assertEquals(70000, reader.render(1, reader.next()[1]).length(), "kept whole");
            }
        }
    }
}
