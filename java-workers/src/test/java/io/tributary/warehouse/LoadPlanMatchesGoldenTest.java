package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.TableRef;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redshift cannot run here, so every statement the redshift dialect can emit is pinned word for word (and the
 * PostgreSQL stand-in's plan beside it). Refresh after an intended change with
 * {@code -Dtributary.golden.write=true} and review the diff.
 */
class LoadPlanMatchesGoldenTest {
    private static final Path GOLDEN = Path.of("src", "test", "resources", "golden", "warehouse");
    private static final String MANIFEST = "s3://tributary-staging/warehouse/src_eu/market.fills/2026-06-01/manifest";
    private static final String ROLE = "arn:aws:iam::123456789012:role/tributary-redshift-copy";

    /** market.fills as stage maps it (see TypeMapping), plus a jsonb column. */
    static final List<StagedColumn> FILLS = List.of(
            new StagedColumn("exec_id", "text", "VARCHAR(65535)", "text", false),
            new StagedColumn("symbol", "text", "VARCHAR(65535)", "text", false),
            new StagedColumn("side", "character(1)", "VARCHAR(4)", "character(1)", false),
            new StagedColumn("qty", "numeric(18,4)", "NUMERIC(18,4)", "numeric(18,4)", false),
            new StagedColumn("price", "numeric(18,6)", "NUMERIC(18,6)", "numeric(18,6)", false),
            new StagedColumn("ts", "timestamp with time zone", "TIMESTAMPTZ", "timestamp with time zone", false),
            new StagedColumn("settle_date", "date", "DATE", "date", false),
            new StagedColumn("is_test", "boolean", "BOOLEAN", "boolean", false),
            new StagedColumn("attrs", "jsonb", "VARCHAR(65535)", "text", true));

    static final List<StagedColumn> FILLS_SUPER = FILLS.stream()
            .map(c -> c.json() ? new StagedColumn(c.name(), c.sourceType(), "SUPER", "jsonb", true) : c).toList();

    static WarehouseDialect.Target target(Partition partition, String role) {
        TableRef table = new TableRef("market", "fills");
        return new WarehouseDialect.Target(table, new TableRef("market", "stage_fills_0123abcd"), partition, MANIFEST,
                role, List.of("symbol"), List.of("ts", "exec_id"), "ts");
    }

    static final Partition DAY = Partition.of("ts", "2026-06-01T21:30:00+00:00", "2026-06-02T21:30:00+00:00");

    private static void assertGolden(String name, String actual) throws IOException {
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("tributary.golden.write")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, actual);
        }
        assertEquals(Files.readString(file), actual,
                "SQL differs from " + file + "; refresh with -Dtributary.golden.write=true if intended");
    }

    @Test
    void redshiftPartitionLoad() throws IOException {
        LoadPlan plan = new RedshiftDialect().plan(target(DAY, ROLE), FILLS);
        assertGolden("redshift-partition-load.sql", plan.script());
        assertTrue(plan.step(LoadPlan.Step.Kind.CREATE_TARGET).sql().contains(
                "DISTSTYLE KEY DISTKEY (\"symbol\") COMPOUND SORTKEY (\"ts\", \"exec_id\")"));
        assertTrue(plan.step(LoadPlan.Step.Kind.INGEST).sql().endsWith("FORMAT AS PARQUET MANIFEST"));
    }

    @Test
    void redshiftFullReload() throws IOException {
        LoadPlan plan = new RedshiftDialect().plan(target(Partition.WHOLE_TABLE, ROLE), FILLS);
        assertGolden("redshift-full-reload.sql", plan.script());
        assertEquals("DELETE FROM \"market\".\"fills\"", plan.step(LoadPlan.Step.Kind.DELETE_PARTITION).sql());
        // timestamptz is staged as a UTC TIMESTAMP (Parquet's documented mapping) and converted by the insert
        assertTrue(plan.step(LoadPlan.Step.Kind.CREATE_STAGING).sql().contains("\"ts\" TIMESTAMP,"));
        assertTrue(plan.step(LoadPlan.Step.Kind.INSERT).sql().contains("(\"ts\" AT TIME ZONE 'UTC')"));
    }

    /**
     * JSON_SERIALIZE prints compact JSON and errors past the VARCHAR limit
     * (docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html): a SUPER column could never verify.
     */
    @Test
    void redshiftRefusesSuperNamingTheMappingThatVerifies() {
        JobFailure f = assertThrows(JobFailure.class,
                () -> new RedshiftDialect().plan(target(Partition.WHOLE_TABLE, ROLE), FILLS_SUPER));
        assertEquals(ExitCode.BAD_INPUT, f.exitCode());
        assertTrue(f.getMessage().contains("json_mapping: text"), f.getMessage());
    }

    @Test
    void redshiftWithoutDistKeyIsEven() {
        WarehouseDialect.Target t = target(DAY, ROLE);
        WarehouseDialect.Target even = new WarehouseDialect.Target(t.table(), t.staging(), t.partition(),
                t.manifestUrl(), t.iamRole(), List.of(), t.sortKey(), null);
        LoadPlan plan = new RedshiftDialect().plan(even, FILLS);
        assertTrue(plan.step(LoadPlan.Step.Kind.CREATE_TARGET).sql().contains(" DISTSTYLE EVEN COMPOUND SORTKEY"));
        assertTrue(plan.steps().stream().noneMatch(s -> s.kind() == LoadPlan.Step.Kind.WATERMARK));
    }

    @Test
    void redshiftLiteralsDoubleBackslashesAsWellAsQuotes() {
        WarehouseDialect.Target t = target(DAY, "arn:aws:iam::1:role/a\\b");
        WarehouseDialect.Target odd = new WarehouseDialect.Target(t.table(), t.staging(), t.partition(),
                "s3://bucket/o'brien\\x/manifest", t.iamRole(), t.distKey(), t.sortKey(), null);
        String ingest = new RedshiftDialect().plan(odd, FILLS).step(LoadPlan.Step.Kind.INGEST).sql();
        // r_QUOTE_LITERAL: Redshift reads \ in a literal as an escape, so a lone backslash would eat the next character
        assertTrue(ingest.contains("FROM 's3://bucket/o''brien\\\\x/manifest' IAM_ROLE 'arn:aws:iam::1:role/a\\\\b'"),
                ingest);
        String postgres = new PostgresDialect().literal("a\\b'c");
        assertEquals("'a\\b''c'", postgres, "PostgreSQL (standard_conforming_strings) keeps the backslash as is");
    }

    /** Quotes, spaces, dots, capitals, a leading digit, `$`, reserved words, unicode, 63 bytes: quoted as they are. */
    static final TableRef ODD = new TableRef("Sp1eCial .Char", "Tabl e.\"1\"testing$" + "é".repeat(22) + "x");
    static final List<StagedColumn> ODD_COLUMNS = List.of(
            new StagedColumn("iD", "integer", "INTEGER", "integer", false),
            new StagedColumn("nA M.e", "text", "VARCHAR(65535)", "text", false),
            new StagedColumn("select", "timestamp with time zone", "TIMESTAMPTZ", "timestamp with time zone", false),
            new StagedColumn("1st \"quoted\" $col", "text", "VARCHAR(65535)", "text", false),
            new StagedColumn("x".repeat(63), "bigint", "BIGINT", "bigint", false));

    static WarehouseDialect.Target odd(TableRef table, Partition partition, String role) {
        WarehouseDialect.Target t = target(partition, role);
        return new WarehouseDialect.Target(table, new TableRef(table.schema(), "stage_" + table.name() + "_0123abcd"),
                partition, t.manifestUrl(), role, List.of("iD"), List.of("select", "iD"), "select",
                new WarehouseDialect.Upsert(List.of("iD", "nA M.e"), "select", "2026-06-01 09:30:00+00",
                        "2026-06-02 16:00:00+00"));
    }

    @Test
    void oddNamesAreQuotedInEveryStatement() throws IOException {
        assertEquals(63, ODD.name().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        Partition p = Partition.incremental("select", null, null, "2026-06-02 21:29:59.5+00");
        assertGolden("redshift-odd-names.sql", new RedshiftDialect().plan(odd(ODD, p, ROLE), ODD_COLUMNS).script());
        assertGolden("postgres-odd-names.sql", new PostgresDialect().plan(odd(ODD, p, null), ODD_COLUMNS).script());
        // the server would cut "<63-byte name>_sortkey" back to the table's own name, and IF NOT EXISTS skip the index
        String index = PostgresDialect.sortKeyIndexName(ODD.name());
        assertTrue(index.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 63, index);
        assertTrue(index.endsWith("_sortkey") && !index.startsWith(ODD.name()), index);
        assertEquals("fills_sortkey", PostgresDialect.sortKeyIndexName("fills"));
    }

    /** What Redshift cannot hold is exit 2 naming the table: a line break, or two columns one after case folding. */
    @Test
    void redshiftRefusesNamesItCannotHoldNamingTheTable() {
        Partition p = Partition.WHOLE_TABLE;
        for (Object[] c : new Object[][] {
                {new TableRef("app", "with\n  AS (x"), ODD_COLUMNS, "UTF-8 printable"},
                {ODD, List.of(ODD_COLUMNS.get(0), new StagedColumn("new\nline", "text", "VARCHAR(65535)", "text", false)),
                        "UTF-8 printable"},
                {ODD, List.of(ODD_COLUMNS.get(0), new StagedColumn("Id", "integer", "INTEGER", "integer", false)),
                        "folds ASCII letters to lower case"}}) {
            TableRef table = (TableRef) c[0];
            @SuppressWarnings("unchecked")
            List<StagedColumn> columns = (List<StagedColumn>) c[1];
            JobFailure f = assertThrows(JobFailure.class, () -> new RedshiftDialect().plan(odd(table, p, ROLE), columns));
            assertEquals(ExitCode.BAD_INPUT, f.exitCode());
            assertTrue(f.getMessage().contains((String) c[2]) && f.getMessage().contains(table.toString().replace("\n", "\\n")),
                    f.getMessage());
        }
        String both = new PostgresDialect().plan(odd(ODD, p, null), List.of(ODD_COLUMNS.get(0),
                new StagedColumn("Id", "integer", "INTEGER", "integer", false))).step(LoadPlan.Step.Kind.CREATE_TARGET).sql();
        assertTrue(both.contains("\"iD\" integer") && both.contains("\"Id\" integer"), "PostgreSQL keeps both: " + both);
    }

    @Test
    void redshiftNeedsAnIamRole() {
        JobFailure f = assertThrows(JobFailure.class, () -> new RedshiftDialect().plan(target(DAY, null), FILLS));
        assertEquals(ExitCode.BAD_INPUT, f.exitCode());
        assertTrue(f.getMessage().contains("targets.warehouse.iam_role"), f.getMessage());
    }

    @Test
    void postgresPartitionLoad() throws IOException {
        assertGolden("postgres-partition-load.sql", new PostgresDialect().plan(target(DAY, null), FILLS).script());
    }

    static WarehouseDialect.Target upsert(String role) {
        WarehouseDialect.Target t = target(DAY, role);
        Partition p = Partition.incremental("ts", null, null, "2026-06-02 21:29:59.5+00");
        return new WarehouseDialect.Target(t.table(), t.staging(), p, t.manifestUrl(), t.iamRole(), t.distKey(),
                t.sortKey(), t.watermarkColumn(), new WarehouseDialect.Upsert(List.of("exec_id", "ts"), "ts",
                        "2026-06-01 09:30:00.25+00", "2026-06-02 16:00:00+00"));
    }

    @Test
    void redshiftIncrementalMerge() throws IOException {
        LoadPlan plan = new RedshiftDialect().plan(upsert(ROLE), FILLS);
        assertGolden("redshift-incremental-merge.sql", plan.script());
        String merge = plan.step(LoadPlan.Step.Kind.MERGE).sql();
        // r_MERGE: the match condition compares columns, so the UTC TIMESTAMPs are converted before the MERGE
        assertEquals("CREATE TEMPORARY TABLE \"stage_fills_0123abcd_utc\" AS SELECT \"exec_id\" AS \"exec_id\","
                + " \"symbol\" AS \"symbol\", \"side\" AS \"side\", \"qty\" AS \"qty\", \"price\" AS \"price\","
                + " (\"ts\" AT TIME ZONE 'UTC') AS \"ts\", \"settle_date\" AS \"settle_date\", \"is_test\" AS"
                + " \"is_test\", \"attrs\" AS \"attrs\" FROM \"stage_fills_0123abcd\"",
                plan.step(LoadPlan.Step.Kind.CONVERT_STAGING).sql());
        assertTrue(merge.startsWith("MERGE INTO \"market\".\"fills\" USING \"stage_fills_0123abcd_utc\" AS s ON"
                + " \"market\".\"fills\".\"exec_id\" = s.\"exec_id\" AND \"market\".\"fills\".\"ts\" = s.\"ts\""),
                merge);
        assertEquals("DROP TABLE \"stage_fills_0123abcd\", \"stage_fills_0123abcd_utc\"",
                plan.step(LoadPlan.Step.Kind.DROP_STAGING).sql());
        assertTrue(merge.contains("\"attrs\" = s.\"attrs\""), merge);
        assertTrue(!merge.contains("\"exec_id\" = s.\"exec_id\", "), "keys are matched, not updated");
        assertTrue(plan.steps().stream().noneMatch(s -> s.kind() == LoadPlan.Step.Kind.DELETE_PARTITION
                || s.kind() == LoadPlan.Step.Kind.WATERMARK));
        assertTrue(plan.step(LoadPlan.Step.Kind.CHECKSUM_TOUCHED).sql().contains(
                "WHERE \"ts\" >= '2026-06-01 09:30:00.25+00' AND \"ts\" <= '2026-06-02 16:00:00+00'"));
    }

    @Test
    void postgresIncrementalUpsert() throws IOException {
        LoadPlan plan = new PostgresDialect().plan(upsert(null), FILLS);
        assertGolden("postgres-incremental-upsert.sql", plan.script());
        assertEquals("DELETE FROM \"market\".\"fills\" AS t USING \"stage_fills_0123abcd\" AS s WHERE t.\"exec_id\""
                + " = s.\"exec_id\" AND t.\"ts\" = s.\"ts\"", plan.step(LoadPlan.Step.Kind.DELETE_KEYS).sql());
    }

    @Test
    void onlyAWholeTableLoadReadsTheWatermarkFromTheTarget() {
        assertTrue(new RedshiftDialect().plan(target(Partition.WHOLE_TABLE, ROLE), FILLS).has(LoadPlan.Step.Kind.WATERMARK));
        assertTrue(!new RedshiftDialect().plan(target(DAY, ROLE), FILLS).has(LoadPlan.Step.Kind.WATERMARK));
        assertTrue(!new PostgresDialect().plan(target(DAY, null), FILLS).has(LoadPlan.Step.Kind.WATERMARK));
    }

    @Test
    void encodingsFollowAwsGuidance() {
        assertEquals("RAW", RedshiftDialect.encoding("TIMESTAMPTZ", true));
        assertEquals("AZ64", RedshiftDialect.encoding("TIMESTAMPTZ", false));
        assertEquals("AZ64", RedshiftDialect.encoding("NUMERIC(18,6)", false));
        assertEquals("AZ64", RedshiftDialect.encoding("BIGINT", false));
        assertEquals("ZSTD", RedshiftDialect.encoding("VARCHAR(65535)", false));
        assertEquals("ZSTD", RedshiftDialect.encoding("BOOLEAN", false));
    }

    @Test
    void fileCountIsAMultipleOfTheSlices() {
        assertEquals(4, PartitionStage.fileCount(0, 128, 4, 1_000_000));
        assertEquals(4, PartitionStage.fileCount(3L * 500 * 1024 * 1024, 128, 4, 1_000_000));
        assertEquals(8, PartitionStage.fileCount(3L * 600 * 1024 * 1024, 128, 4, 1_000_000));
        assertEquals(0, PartitionStage.fileCount(3L * 5000 * 1024 * 1024, 128, 4, 10_000_000) % 4);
    }
}
