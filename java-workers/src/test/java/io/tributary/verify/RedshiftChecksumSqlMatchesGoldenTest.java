package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.ColumnShape.CanonicalForm;
import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redshift cannot run here, so the SQL it would run is pinned word for word: a broker table as the warehouse
 * stores it (Redshift types, as information_schema.data_type spells them) and the PostgreSQL source's portable
 * form. Refresh after an intended change with {@code -Dtributary.golden.write=true} and review the diff.
 */
class RedshiftChecksumSqlMatchesGoldenTest {
    private static final Path GOLDEN = Path.of("src", "test", "resources", "golden", "verify");

    private static final TableShape WAREHOUSE_FILLS = new TableShape(new TableRef("broker", "fills"), List.of(
            ColumnShape.of("fill_id", "bigint", CanonicalForm.TEXT),
            ColumnShape.of("symbol", "character varying", CanonicalForm.TEXT),
            ColumnShape.of("price", "numeric", CanonicalForm.TEXT),
            ColumnShape.of("qty", "double precision", CanonicalForm.TEXT),
            ColumnShape.of("filled_at", "timestamp with time zone", CanonicalForm.TEXT),
            ColumnShape.of("trade_date", "date", CanonicalForm.TEXT),
            ColumnShape.of("is_buy", "boolean", CanonicalForm.TEXT),
            ColumnShape.of("raw", "character varying", CanonicalForm.TEXT),
            ColumnShape.of("blob", "binary varying", CanonicalForm.TEXT),
            ColumnShape.of("venue's \"id\"", "character", CanonicalForm.TEXT)), null);

    private static final TableShape SOURCE_FILLS = new TableShape(new TableRef("public", "fills"), List.of(
            ColumnShape.of("fill_id", "bigint", CanonicalForm.TEXT),
            ColumnShape.of("symbol", "text", CanonicalForm.TEXT),
            ColumnShape.of("price", "numeric(18,8)", CanonicalForm.NUMERIC),
            ColumnShape.of("qty", "double precision", CanonicalForm.TEXT),
            ColumnShape.of("filled_at", "timestamp with time zone", CanonicalForm.TEXT),
            ColumnShape.of("trade_date", "date", CanonicalForm.TEXT),
            ColumnShape.of("is_buy", "boolean", CanonicalForm.TEXT),
            ColumnShape.of("raw", "jsonb", CanonicalForm.JSON),
            ColumnShape.of("blob", "bytea", CanonicalForm.TEXT),
            ColumnShape.of("tags", "numeric(6,2)[]", CanonicalForm.NUMERIC_ARRAY)), null);

    private static void assertGolden(String name, String actual) throws IOException {
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("tributary.golden.write")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, actual + "\n");
        }
        assertEquals(Files.readString(file).strip(), actual,
                "SQL differs from " + file + "; refresh with -Dtributary.golden.write=true if intended");
    }

    @Test
    void redshiftChecksumOfAPartition() throws IOException {
        RowSelection partition = RowSelection.of(WAREHOUSE_FILLS, null,
                KeyRange.parse("fill_id:1000:2000"), "test");
        assertGolden("redshift-checksum.sql", new TableChecksum(partition, ChecksumDialect.REDSHIFT).sql());
    }

    /** JSON_SERIALIZE: compact JSON, an error past the VARCHAR limit (docs.aws.amazon.com/redshift/latest/dg/JSON_SERIALIZE.html). */
    @Test
    void aSuperColumnIsRefusedNamingTheMappingThatVerifies() {
        TableShape withSuper = new TableShape(new TableRef("broker", "fills"), List.of(
                ColumnShape.of("fill_id", "bigint", CanonicalForm.TEXT),
                ColumnShape.of("raw", "super", CanonicalForm.TEXT)), null);
        JobFailure f = assertThrows(JobFailure.class, () -> new TableChecksum(RowSelection.of(withSuper, null, null,
                "test"), ChecksumDialect.REDSHIFT).sql());
        assertEquals(io.tributary.result.ExitCode.BAD_INPUT, f.exitCode());
        org.junit.jupiter.api.Assertions.assertTrue(f.getMessage().contains("json_mapping: text"), f.getMessage());
    }

    @Test
    void postgresPortableChecksumOfTheSource() throws IOException {
        RowSelection source = RowSelection.of(SOURCE_FILLS, null, null, "test");
        assertGolden("postgres-portable-checksum.sql",
                new TableChecksum(source, ChecksumDialect.POSTGRES_PORTABLE).sql());
    }

    @Test
    void nativeFormIsUnchangedByDialects() {
        RowSelection source = RowSelection.of(SOURCE_FILLS, List.of("fill_id", "tags"), null, "test");
        assertEquals(new TableChecksum(source).sql(), new TableChecksum(source, ChecksumDialect.POSTGRES).sql());
        assertEquals("SELECT count(*) AS row_count, sum(pg_catalog.hash_record_extended(ROW(r.\"fill_id\"::numeric,"
                + " pg_catalog.regexp_replace(pg_catalog.regexp_replace(r.\"tags\"::text, '\\.0+(?=[,}])', '', 'g'),"
                + " '(\\.[0-9]*[1-9])0+(?=[,}])', '\\1', 'g')), 0)::numeric) AS hash_sum"
                + " FROM (SELECT \"fill_id\", \"tags\" FROM \"public\".\"fills\") AS r",
                new TableChecksum(source).sql());
    }

    @Test
    void dialectNamesAreCheckedAndRedshiftHasNoNativeHash() {
        assertEquals(ChecksumDialect.POSTGRES, ChecksumDialect.of(null, null));
        assertEquals(ChecksumDialect.POSTGRES_PORTABLE, ChecksumDialect.of("postgres", "portable"));
        assertEquals(ChecksumDialect.REDSHIFT, ChecksumDialect.of("redshift", null));
        assertEquals(ChecksumDialect.POSTGRES_PORTABLE, ChecksumDialect.postgresMatching(ChecksumDialect.REDSHIFT));
        assertThrows(JobFailure.class, () -> ChecksumDialect.of("redshift", "native"));
        assertThrows(JobFailure.class, () -> ChecksumDialect.of("snowflake", null));
        assertThrows(JobFailure.class, () -> ChecksumDialect.of("postgres", "sha1"));
    }
}
