package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.parquet.ParquetColumn;
import io.tributary.parquet.ParquetCopyIn;
import io.tributary.parquet.ParquetExport;
import io.tributary.parquet.TypeMapping;
import io.tributary.result.JobFailure;
import io.tributary.testing.RedshiftCompat;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import io.tributary.verify.Checksum;
import io.tributary.verify.ChecksumDialect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every column type of the sample data and of Pagila, through the real Redshift load plan, against a
 * Redshift-faithful PostgreSQL ({@link RedshiftCompat}): the source's figures as {@code stage} computes them, the
 * Parquet file {@code stage} writes for the redshift dialect (Snappy, FIXED_LEN_BYTE_ARRAY decimals, UTC
 * timestamps), that file read into the plan's staging table as
 * Redshift's COPY would type it, the plan's own INSERT, and the plan's own Redshift checksum. Each case names the
 * page of the Amazon Redshift Database Developer Guide its expectation comes from.
 *
 * <p>What this cannot prove (only {@code make redshift-smoke} on a cluster can): that Redshift's COPY reads
 * these Parquet files as its documentation says, and that its functions print exactly as documented.
 */
@RequiresPostgres
class RedshiftLoadVerifiesEveryColumnTypeTest {
    private static final String DOCS = "https://docs.aws.amazon.com/redshift/latest/dg/";

    static ScratchDatabase source;
    static ScratchDatabase warehouse;
    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() {
        source = TestPostgres.createDatabase("rs_types_src");
        warehouse = TestPostgres.createDatabase("rs_types_wh");
        RedshiftCompat.install(warehouse);
        source.execute("CREATE TYPE public.order_side AS ENUM ('buy', 'sell')",
                "CREATE TYPE public.mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17')",
                "CREATE DOMAIN public.year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155)");
    }

    @AfterAll
    static void tearDown() {
        if (source != null) {
            source.close();
        }
        if (warehouse != null) {
            warehouse.close();
        }
    }

    /** One column type: where it occurs, values (SQL literals; NULL is always added), the page that decides. */
    record Case(String type, String occurs, List<String> values, String page) {
        @Override
        public String toString() {
            return type + " (" + occurs + ")";
        }
    }

    static Stream<Case> types() {
        return Stream.of(
                new Case("bigint", "sample", List.of("0", "-9223372036854775808", "9223372036854775807"),
                        "r_Numeric_types201.html"),
                new Case("integer", "sample, Pagila", List.of("0", "-2147483648", "2147483647"),
                        "r_Numeric_types201.html"),
                new Case("smallint", "sample, Pagila", List.of("0", "-32768", "32767"), "r_Numeric_types201.html"),
                new Case("numeric(18,6)", "sample", List.of("0", "1.500000", "-123456789012.123456"),
                        "r_Numeric_types201.html"),
                new Case("numeric(5,2)", "sample, Pagila", List.of("0.99", "-999.99", "4.00"),
                        "r_Numeric_types201.html"),
                new Case("numeric(20,8)", "sample", List.of("123456789012.12345678", "0.00000001"),
                        "r_Numeric_types201.html"),
                // %.17g / %.8g under extra_float_digits = 2 (the driver's and the worker's setting)
                new Case("double precision", "sample", List.of("0.1", "1.0/3", "1e300", "-5e-324", "1e16", "1e17",
                        "-0.000123", "100", "'-0'"), "r_extra_float_digits.html"),
                new Case("real", "sample", List.of("0.1", "1.0/3", "3.4e38", "1e-7", "16777216", "123.456"),
                        "r_extra_float_digits.html"),
                new Case("boolean", "sample, Pagila", List.of("true", "false"), "r_Boolean_type.html"),
                new Case("text", "sample, Pagila", List.of("''", "'plain'", "'trailing blanks  '", "'say \"hi\", ok'",
                        "'back\\slash'", "'ünïcødé ✓'", "repeat('x', 30000)"), "r_Character_types.html"),
                new Case("character varying(16)", "sample", List.of("'AAPL'", "'two words  '"),
                        "r_Character_types.html"),
                // char(n): the staged text drops the padding a VARCHAR would keep ("Significance of trailing blanks")
                new Case("character(1)", "sample", List.of("'B'", "' '"), "r_Character_types.html"),
                new Case("character(3)", "sample", List.of("'EUR'", "'a'", "'ab '"), "r_Character_types.html"),
                new Case("character(20)", "Pagila", List.of("'English'", "'Mandarin  '"), "r_Character_types.html"),
                new Case("date", "sample, Pagila", List.of("'2026-06-01'", "'1999-12-31'", "'0001-01-01'"),
                        "r_Datetime_types.html"),
                // staged as TIMESTAMP in UTC (Parquet's timestamp maps to TIMESTAMP), converted by the INSERT
                new Case("timestamp with time zone", "sample, Pagila", List.of("'2026-06-01 09:30:00.25+02'",
                        "'1999-12-31 23:59:59.999999+00'", "'2026-03-29 01:30:00 Europe/Berlin'"),
                        "copy-usage_notes-copy-from-columnar.html"),
                new Case("timestamp without time zone", "sample", List.of("'2026-06-01 09:30:00.000001'",
                        "'1970-01-01 00:00:00'"), "r_Datetime_types.html"),
                // bytea: VARBYTE, hashed in 32,767-byte pieces (TO_HEX doubles the length; VARCHAR ends at 65,535)
                new Case("bytea", "sample, Pagila", List.of("'\\x'::bytea", "'\\x00ff10'::bytea",
                        "decode(repeat('ab', 100000), 'hex')"), "r_VARBYTE_type.html"),
                // JSON as VARCHAR of jsonb's text (SUPER cannot verify: JSON_SERIALIZE is compact)
                new Case("jsonb", "sample", List.of("'{\"b\": [1, 2, \"a\"], \"a\": {\"x\": null}}'", "'[]'",
                        "'\"just text\"'", "'1.50'"), "JSON_SERIALIZE.html"),
                new Case("text[]", "sample, Pagila", List.of("ARRAY['a', 'b \"c\"', NULL]", "'{}'::text[]"),
                        "JSON_SERIALIZE.html"),
                new Case("uuid", "sample", List.of("'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
                        "r_Character_types.html"),
                new Case("interval", "sample", List.of("'1 day 02:03:04.5'", "'-3 mons'"),
                        "r_Character_types.html"),
                new Case("order_side", "sample (enum)", List.of("'buy'", "'sell'"), "r_Character_types.html"),
                new Case("mpaa_rating", "Pagila (enum)", List.of("'PG-13'", "'NC-17'"), "r_Character_types.html"),
                new Case("tsvector", "Pagila", List.of("to_tsvector('simple', 'A Fanciful Documentary')"),
                        "r_Character_types.html"),
                new Case("year", "Pagila (domain over integer)", List.of("2006", "1901"), "r_Character_types.html"),
                // targets.warehouse.unbounded_numeric: text — the number as written, on both sides
                new Case("numeric", "unbounded, as text", List.of("1.50", "-0.000", "123456789012345678901234567890.5"),
                        "r_Character_types.html"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void aColumnOfThisTypeVerifiesThroughTheRedshiftPlan(Case c) throws Exception {
        String table = "t_" + Integer.toHexString(c.type().hashCode()).replace('-', 'm');
        source.execute("CREATE TABLE public." + table + " (id integer, v " + c.type() + ")",
                "INSERT INTO public." + table + " VALUES " + Stream.concat(c.values().stream(), Stream.of("NULL"))
                        .map(new java.util.function.Function<String, String>() {
                            int id;

                            @Override
                            public String apply(String v) {
                                return "(" + (++id) + ", " + v + ")";
                            }
                        }).collect(Collectors.joining(", ")));
        Loaded loaded = stageAndLoad(table);
        assertEquals(c.values().size() + 1, loaded.source().rows());
        assertEquals(loaded.source(), loaded.warehouse(), c + ": the Redshift checksum differs from the source's;"
                + " expectation from " + DOCS + c.page());
    }

    /** r_Character_types: a VARCHAR expression ends at 65,535 bytes; a wide row is hashed column by column. */
    @Test
    void aRowWiderThanAVarcharVerifiesColumnByColumn() throws Exception {
        source.execute("CREATE TABLE public.wide (id integer, a text, b text, c text)",
                "INSERT INTO public.wide VALUES (1, repeat('a', 30000), repeat('b', 30000), repeat('c', 30000))");
        Loaded loaded = stageAndLoad("wide");
        assertEquals(loaded.source(), loaded.warehouse());
    }

    /**
     * The compat layer is Redshift's, not PostgreSQL's: each documented behaviour that broke a checksum before
     * shows here, so the tests above would fail on exactly those mismatches.
     */
    @Test
    void theCompatLayerBehavesAsTheRedshiftDocumentationSays() throws SQLException {
        try (Connection c = RedshiftCompat.connect(warehouse)) {
            // JSON_SERIALIZE.html: the example's output, compact; jsonb's text has blanks (JSON_PARSE.html: text in)
            assertEquals("[10001,10002,\"abc\"]", scalar(c, "SELECT JSON_SERIALIZE(JSON_PARSE('[10001,10002,\"abc\"]'))"));
            assertEquals("[10001, 10002, \"abc\"]", scalar(c, "SELECT '[10001,10002,\"abc\"]'::jsonb::text"));
            assertEquals("null", scalar(c, "SELECT JSON_SERIALIZE(NULL)"));
            // ... and an error when the JSON exceeds the VARCHAR limit
            assertThrows(SQLException.class, () -> scalar(c, "SELECT JSON_SERIALIZE(JSON_PARSE('[\"' || repeat('x',"
                    + " 70000) || '\"]'))"));
            // r_extra_float_digits: DBL_DIG + 2 = 17 significant digits, where PostgreSQL prints 0.1
            execute(c, "CREATE TABLE public.floats (d public.rs_double, r public.rs_real)",
                    "INSERT INTO public.floats VALUES (0.1::float8, 0.1::float4)");
            assertEquals("0.10000000000000001", scalar(c, "SELECT CAST(d AS VARCHAR(65535)) FROM public.floats"));
            assertEquals("0.1", scalar(c, "SELECT CAST(0.1::float8 AS VARCHAR(65535))"));
            // r_Character_types, "Significance of trailing blanks": a VARCHAR keeps them, char's text does not
            execute(c, "CREATE TABLE public.pad (v varchar(12))", "INSERT INTO public.pad VALUES ('ab  ')");
            assertEquals("ab  ", scalar(c, "SELECT v FROM public.pad"));
            assertEquals("ab", scalar(c, "SELECT 'ab  '::char(4)::text"));
            // r_Character_types: 65,535 bytes at most; MD5 of a longer VARCHAR expression errors
            assertThrows(SQLException.class, () -> scalar(c, "SELECT MD5(repeat('x', 65536))"));
            assertEquals(32, scalar(c, "SELECT MD5(repeat('x', 65535))").length());
            // TO_HEX doubles the length: 32,768 bytes are past the limit, 32,767 (one hash piece) are not
            assertThrows(SQLException.class, () -> scalar(c, "SELECT TO_HEX(decode(repeat('ab', 32768), 'hex'))"));
            assertEquals(65534, scalar(c, "SELECT TO_HEX(decode(repeat('ab', 32767), 'hex'))").length());
        }
    }

    /**
     * The source spells C's %.17g / %.8g (what Redshift prints, r_extra_float_digits) from to_char; the expected
     * strings are C's own printf output (Python's '%.17g' % x), not computed here.
     */
    @Test
    void theSourceSpellsFloatsAsRedshiftPrintsThem() throws SQLException {
        Map<String, String> doubles = Map.ofEntries(Map.entry("0.1", "0.10000000000000001"),
                Map.entry("1.0/3", "0.33333333333333331"), Map.entry("1e300", "1.0000000000000001e+300"),
                Map.entry("-5e-324", "-4.9406564584124654e-324"), Map.entry("123456789012345678",
                        "1.2345678901234568e+17"), Map.entry("1e16", "10000000000000000"), Map.entry("1e17", "1e+17"),
                Map.entry("12345.678", "12345.678"), Map.entry("-0.000123", "-0.00012300000000000001"),
                Map.entry("0.0001", "0.0001"), Map.entry("1e-05", "1.0000000000000001e-05"), Map.entry("100", "100"),
                Map.entry("2.5", "2.5"), Map.entry("-1", "-1"), Map.entry("0", "0"));
        Map<String, String> reals = Map.of("0.1", "0.1", "1.0/3", "0.33333334", "3.4e38", "3.4e+38", "1e-7", "1e-07",
                "16777216", "16777216", "123.456", "123.456");
        try (Connection src = source.connect(); Connection wh = RedshiftCompat.connect(warehouse)) {
            for (var e : doubles.entrySet()) {
                assertEquals(e.getValue(), scalar(src, "SELECT " + ChecksumDialect.POSTGRES_PORTABLE.portableText(
                        io.tributary.catalog.ColumnShape.of("x", "double precision",
                                io.tributary.catalog.ColumnShape.CanonicalForm.TEXT)).replace("r.\"x\"", "(" + e.getKey()
                        + ")::float8")), e.getKey());
                assertEquals(e.getValue(), scalar(wh, "SELECT CAST(public.rs_double((" + e.getKey() + ")::float8) AS"
                        + " VARCHAR(65535))"), e.getKey());
            }
            for (var e : reals.entrySet()) {
                assertEquals(e.getValue(), scalar(src, "SELECT " + ChecksumDialect.POSTGRES_PORTABLE.portableText(
                        io.tributary.catalog.ColumnShape.of("x", "real",
                                io.tributary.catalog.ColumnShape.CanonicalForm.TEXT)).replace("r.\"x\"", "(" + e.getKey()
                        + ")::float4")), e.getKey());
                assertEquals(e.getValue(), scalar(wh, "SELECT CAST(public.rs_real((" + e.getKey() + ")::float4) AS"
                        + " VARCHAR(65535))"), e.getKey());
            }
        }
    }

    /**
     * Two staged rows matching one target row fail Redshift's MERGE (docs.aws.amazon.com/redshift/latest/dg/r_MERGE.html,
     * merge-replacing-existing-rows.html): the stage refuses such a delta up front, naming a duplicate key.
     */
    @Test
    void aDeltaWithADuplicateKeyIsRefusedBeforeAnythingIsStaged() throws SQLException {
        source.execute("CREATE TABLE public.dup (id integer, v text)",
                "INSERT INTO public.dup VALUES (1, 'a'), (1, 'b'), (2, 'c')");
        try (Connection src = source.connect()) {
            TableShape shape = new CatalogReader().read(src, new TableRef("public", "dup")).orElseThrow();
            PartitionStage.requireUniqueKey(src, shape, List.of("id"), " WHERE id >= 2", "src.public.dup");
            JobFailure f = assertThrows(JobFailure.class, () -> PartitionStage.requireUniqueKey(src, shape,
                    List.of("id"), " WHERE id >= 0", "src.public.dup"));
            assertEquals(io.tributary.result.ExitCode.BAD_INPUT, f.exitCode());
            assertTrue(f.getMessage().contains("id = 1"), f.getMessage());
            PartitionStage.requireUniqueKey(src, shape, List.of("id", "v"), "", "src.public.dup");
        }
    }

    private static WarehouseSettings settings(String warehouseLines) throws Exception {
        Path file = dir.resolve("settings-" + Integer.toHexString(warehouseLines.hashCode()) + ".yaml");
        Files.writeString(file, """
                version: 1
                project: test
                control: {connection: consolidated}
                sources: [{id: src_eu}]
                targets:
                  consolidated: {connection: consolidated}
                  warehouse:
                    connection: warehouse
                    iam_role: arn:aws:iam::123456789012:role/copy
                    staging_connection: s3
                    staging_bucket: staging
                """ + warehouseLines.strip().indent(4));
        return WarehouseSettings.from(new io.tributary.config.MigrationConfigLoader().load(file));
    }

    /**
     * COPY from Parquet reads through Redshift Spectrum, whose documented codecs are Snappy, GZIP, LZO and BZIP2
     * (docs.aws.amazon.com/redshift/latest/dg/c-spectrum-data-files.html, "Compression types for Redshift
     * Spectrum"; copy-usage_notes-copy-from-columnar.html): the redshift dialect writes Snappy and refuses zstd.
     */
    @Test
    void theRedshiftDialectUsesADocumentedCodecAndRefusesZstd() throws Exception {
        assertEquals(CompressionCodecName.SNAPPY, settings("dialect: redshift").compression());
        assertEquals(CompressionCodecName.ZSTD, settings("dialect: postgres").compression());
        JobFailure f = assertThrows(JobFailure.class, () -> settings("dialect: redshift\ncompression: zstd"));
        assertEquals(io.tributary.result.ExitCode.BAD_INPUT, f.exitCode());
        assertTrue(f.getMessage().contains("compression: snappy"), f.getMessage());
    }

    /** JSON_SERIALIZE.html: compact and capped, so json_mapping: super is refused naming the mapping that works. */
    @Test
    void theRedshiftDialectRefusesSuperUpFront() throws Exception {
        JobFailure f = assertThrows(JobFailure.class, () -> settings("dialect: redshift\njson_mapping: super"));
        assertEquals(io.tributary.result.ExitCode.BAD_INPUT, f.exitCode());
        assertTrue(f.getMessage().contains("json_mapping: text"), f.getMessage());
        settings("dialect: postgres\njson_mapping: super"); // the stand-in compares jsonb with jsonb
    }

    /**
     * Spectrum's Parquet types (c-spectrum-data-files.html, r_CREATE_EXTERNAL_TABLE.html): DECIMAL carried as
     * FIXED_LEN_BYTE_ARRAY whatever its precision, JSON as a plain UTF-8 string into VARCHAR.
     */
    @Test
    void redshiftFilesCarryDecimalsAndJsonInDocumentedForms() {
        List<io.tributary.catalog.ColumnShape> shapes = List.of(
                io.tributary.catalog.ColumnShape.of("p", "numeric(5,2)", io.tributary.catalog.ColumnShape.CanonicalForm.TEXT),
                io.tributary.catalog.ColumnShape.of("q", "numeric(18,4)", io.tributary.catalog.ColumnShape.CanonicalForm.TEXT),
                io.tributary.catalog.ColumnShape.of("j", "jsonb", io.tributary.catalog.ColumnShape.CanonicalForm.TEXT));
        List<ParquetColumn> redshift = new TypeMapping(TypeMapping.JsonMapping.TEXT, null, true).map("t", shapes);
        for (ParquetColumn c : redshift.subList(0, 2)) {
            assertEquals(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY,
                    c.field().asPrimitiveType().getPrimitiveTypeName(), c.name());
        }
        assertEquals(org.apache.parquet.schema.LogicalTypeAnnotation.stringType(),
                redshift.get(2).field().getLogicalTypeAnnotation());
        List<ParquetColumn> postgres = new TypeMapping(TypeMapping.JsonMapping.TEXT, null, false).map("t", shapes);
        assertEquals(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32,
                postgres.get(0).field().asPrimitiveType().getPrimitiveTypeName());
        assertEquals(org.apache.parquet.schema.LogicalTypeAnnotation.jsonType(),
                postgres.get(2).field().getLogicalTypeAnnotation());
    }

    /** The checksums either side of one load. */
    record Loaded(Checksum source, Checksum warehouse, LoadPlan plan) {
    }

    /**
     * An incremental load through the Redshift MERGE plan (PostgreSQL 15 runs MERGE): a whole-table load first, then
     * a delta (an updated row, a new one) staged and upserted; the upserted rows and the whole table verify.
     */
    @Test
    void aDeltaMergedThroughTheRedshiftPlanVerifies() throws Exception {
        source.execute("CREATE TABLE public.upsert (id integer, ts timestamptz, v double precision, j jsonb,"
                + " c character(3))", "INSERT INTO public.upsert SELECT g, timestamptz '2026-06-01 09:00+02' + g *"
                + " interval '1 min', g / 3.0, jsonb_build_object('g', g), 'a' FROM generate_series(1, 20) g");
        Loaded full = stageAndLoad("upsert");
        assertEquals(full.source(), full.warehouse());
        source.execute("UPDATE public.upsert SET v = 0.1, j = '{\"changed\": [1, 2]}', c = 'xy' WHERE id = 7",
                "INSERT INTO public.upsert VALUES (21, '2026-06-02 00:00+00', 1e300, NULL, NULL)");
        WarehouseDialect.Upsert upsert = new WarehouseDialect.Upsert(List.of("id", "ts"), null, null, null);
        Loaded delta = stageAndLoad("upsert", " WHERE id IN (7, 21)", upsert);
        assertEquals(2, delta.source().rows());
        assertEquals(delta.source(), delta.warehouse(), "the upserted rows");
        try (Connection src = source.connect(); Connection wh = RedshiftCompat.connect(warehouse)) {
            sessionSettings(src);
            TableShape shape = new CatalogReader().read(src, new TableRef("public", "upsert")).orElseThrow();
            List<ParquetColumn> columns = new TypeMapping(TypeMapping.JsonMapping.TEXT, "text", true).map("upsert",
                    shape.columns());
            Checksum table = PartitionStage.checksum(src, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(
                    PartitionStage.projection(columns, shape), PartitionStage.shapes(
                            columns.stream().map(StagedColumn::of).toList())));
            assertEquals(21, table.rows());
            assertEquals(table, PartitionStage.checksum(wh, delta.plan().step(LoadPlan.Step.Kind.CHECKSUM_TOUCHED)
                    .sql()), "the whole table after the MERGE");
        }
    }

    private static Loaded stageAndLoad(String name) throws Exception {
        return stageAndLoad(name, "", null);
    }

    /**
     * stage's figures and file for the redshift dialect (rows matching {@code where}), then the Redshift plan's
     * staging, INSERT (or conversion and MERGE, with {@code upsert}) and checksum.
     */
    private static Loaded stageAndLoad(String name, String where, WarehouseDialect.Upsert upsert) throws Exception {
        TableRef table = new TableRef("public", name);
        List<ParquetColumn> columns;
        Checksum figures;
        Path file = dir.resolve(name + (upsert == null ? "" : "-delta") + ".parquet");
        try (Connection src = source.connect()) {
            sessionSettings(src);
            TableShape shape = new CatalogReader().read(src, table).orElseThrow();
            columns = new TypeMapping(TypeMapping.JsonMapping.TEXT, "text", true).map(table.toString(),
                    shape.columns());
            List<StagedColumn> staged = columns.stream().map(StagedColumn::of).toList();
            figures = PartitionStage.checksum(src, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(
                    PartitionStage.projection(columns, shape) + where, PartitionStage.shapes(staged)));
            src.setAutoCommit(false);
            ParquetExport.write(src, PartitionStage.fileSelect(columns, shape) + where, columns,
                    new long[] {figures.rows()}, CompressionCodecName.SNAPPY, Map.of(),
                    index -> Files.newOutputStream(file), table.toString());
            src.commit();
        }
        List<StagedColumn> staged = columns.stream().map(StagedColumn::of).toList();
        String stagingName = "stage_" + name + (upsert == null ? "" : "_delta");
        LoadPlan plan = new RedshiftDialect().plan(new WarehouseDialect.Target(new TableRef("public", "wh_" + name),
                new TableRef("public", stagingName), upsert == null ? Partition.WHOLE_TABLE
                        : Partition.incremental(null, null, null, "delta"), "s3://bucket/" + name + "/manifest",
                "arn:aws:iam::123456789012:role/copy", List.of(), List.of(), null, upsert), staged);
        try (Connection wh = RedshiftCompat.connect(warehouse); Statement st = wh.createStatement()) {
            // The plan's DDL carries ENCODE/DISTSTYLE, which PostgreSQL lacks: the same columns, compat types.
            st.execute("CREATE TABLE IF NOT EXISTS public." + Identifiers.quote("wh_" + name) + " (" + staged.stream()
                    .map(c -> c.quoted() + " " + RedshiftCompat.columnType(c.redshiftType()))
                    .collect(Collectors.joining(", ")) + ")");
            st.execute("CREATE TABLE public." + Identifiers.quote(stagingName) + " (" + staged.stream()
                    .map(c -> c.quoted() + " " + RedshiftCompat.columnType(RedshiftDialect.stagingType(c))
                            .replace("public.rs_double", "double precision").replace("public.rs_real", "real"))
                    .collect(Collectors.joining(", ")) + ")");
            // what COPY ... FORMAT AS PARQUET does on the cluster: the file's columns, in order, into staging
            ParquetCopyIn.copy(wh, "public." + Identifiers.quote(stagingName),
                    staged.stream().map(StagedColumn::quoted).toList(), file);
            for (LoadPlan.Step step : plan.steps()) {
                if (step.kind().writes()) {
                    st.execute(step.sql());
                }
            }
            return new Loaded(figures, PartitionStage.checksum(wh, plan.step(LoadPlan.Step.Kind.CHECKSUM).sql()),
                    plan);
        }
    }

    /** The worker's session settings (ConnectionFactory), search_path included: the source side as stage runs. */
    private static void sessionSettings(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (Map.Entry<String, String> s : ConnectionFactory.SESSION_SETTINGS.entrySet()) {
                st.execute("SET \"" + s.getKey() + "\" = '" + s.getValue() + "'");
            }
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(Connection c, String... sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
