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
import java.util.List;
import org.junit.jupiter.api.Test;

class ChecksumSqlIsCanonicalTest {
    private static final TableShape SHAPE = new TableShape(new TableRef("app", "We\"ird Table"), List.of(
            ColumnShape.of("id", "bigint", CanonicalForm.TEXT),
            ColumnShape.of("price", "numeric(10,2)", CanonicalForm.NUMERIC),
            ColumnShape.of("doc", "json", CanonicalForm.JSON),
            ColumnShape.of("fee", "money", CanonicalForm.MONEY),
            ColumnShape.of("Name", "text", CanonicalForm.TEXT)), null);

    @Test
    void rowHashUsesTypedOrCanonicalValuesInTargetShapeOrder() {
        RowSelection selection = RowSelection.of(SHAPE, List.of("Name", "price", "doc", "fee", "id"), null, "test");
        TableChecksum checksum = new TableChecksum(selection);
        assertEquals("ROW(r.\"Name\"::text, pg_catalog.trim_scale(r.\"price\")::text, r.\"doc\"::jsonb::text,"
                + " pg_catalog.trim_scale(r.\"fee\"::numeric)::text, r.\"id\"::text)::text", checksum.rowText());
        assertEquals("SELECT count(*) AS row_count, sum(pg_catalog.hash_record_extended(ROW(r.\"Name\"::text,"
                + " r.\"price\"::numeric, r.\"doc\"::jsonb, pg_catalog.trim_scale(r.\"fee\"::numeric)::text,"
                + " r.\"id\"::numeric), 0)::numeric) AS hash_sum FROM (SELECT \"Name\", \"price\", \"doc\", \"fee\","
                + " \"id\" FROM \"app\".\"We\"\"ird Table\") AS r", checksum.sql());
        assertEquals("SELECT count(*) AS row_count, sum(pg_catalog.hashtextextended(" + checksum.rowText()
                + ", 0)::numeric) AS hash_sum FROM (SELECT \"Name\", \"price\", \"doc\", \"fee\", \"id\""
                + " FROM \"app\".\"We\"\"ird Table\") AS r",
                new TableChecksum(selection, ChecksumDialect.POSTGRES_TEXT_V1).sql());
    }

    @Test
    void valuesAreHashedTypedOnlyWhereTheHashDependsOnTheValueAlone() {
        assertEquals("r.\"q\"::numeric", TableChecksum.hashed(ColumnShape.of("q", "integer", CanonicalForm.TEXT)));
        assertEquals("r.\"c\"::text",
                TableChecksum.hashed(ColumnShape.of("c", "character(3)", CanonicalForm.TEXT)));
        assertEquals("r.\"t\"::timestamp without time zone",
                TableChecksum.hashed(ColumnShape.of("t", "timestamp(3) without time zone", CanonicalForm.TEXT)));
        assertEquals("r.\"f\"::double precision",
                TableChecksum.hashed(ColumnShape.of("f", "real", CanonicalForm.TEXT)));
        // an enum hashes by its OID, which differs between databases; an interval hashes '1 day' as '24:00:00'
        assertEquals("r.\"rating\"::text",
                TableChecksum.hashed(ColumnShape.of("rating", "public.mpaa_rating", CanonicalForm.TEXT)));
        assertEquals("r.\"span\"::text", TableChecksum.hashed(ColumnShape.of("span", "interval", CanonicalForm.TEXT)));
        assertEquals("r.\"ids\"::text", TableChecksum.hashed(ColumnShape.of("ids", "bigint[]", CanonicalForm.TEXT)));
    }

    @Test
    void keyRangeIsHalfOpenWithEscapedLiteralsCastToTheKeyType() {
        RowSelection chunk = RowSelection.of(SHAPE, null, KeyRange.parse("Name:O'Brien:Smith"), "test");
        assertEquals("SELECT \"id\", \"price\", \"doc\", \"fee\", \"Name\" FROM \"app\".\"We\"\"ird Table\""
                + " WHERE \"Name\" >= CAST('O''Brien' AS text) AND \"Name\" < CAST('Smith' AS text)",
                chunk.selectSql());
        assertEquals("SELECT \"id\", \"price\", \"doc\", \"fee\", \"Name\" FROM \"app\".\"We\"\"ird Table\""
                + " WHERE \"id\" < CAST('100' AS bigint)",
                RowSelection.of(SHAPE, null, KeyRange.parse("id::100"), "test").selectSql());
    }

    @Test
    void projectionsAreSelectedUnderTheTargetNameAndHashedInTargetShape() {
        RowSelection projected = RowSelection.of(SHAPE, List.of("id", "Name"), KeyRange.parse("id:1:100"), "test")
                .withProjection("id", "\"id\" + 1000", null)
                .withProjection("origin", "'src_eu'::text", ColumnShape.of("origin", "text", CanonicalForm.TEXT))
                .withPredicate("\"Name\" IS NOT NULL");
        assertEquals("SELECT (\"id\" + 1000) AS \"id\", \"Name\", ('src_eu'::text) AS \"origin\""
                + " FROM \"app\".\"We\"\"ird Table\" WHERE \"id\" >= CAST('1' AS bigint) AND \"id\" < CAST('100' AS bigint)"
                + " AND (\"Name\" IS NOT NULL)", projected.selectSql());
        assertEquals("\"id\", \"Name\", \"origin\"", projected.columnList());
        assertEquals("ROW(r.\"id\"::text, r.\"Name\"::text, r.\"origin\"::text)::text",
                new TableChecksum(projected).rowText());
        assertEquals("SELECT \"id\", \"Name\" FROM \"app\".\"We\"\"ird Table\" WHERE \"ctid\" >= CAST('(0,0)' AS tid)"
                + " AND \"ctid\" < CAST('(10,0)' AS tid)",
                RowSelection.of(SHAPE, List.of("id", "Name"), null, "test")
                        .withRange(new KeyRange(RowSelection.CTID, "(0,0)", "(10,0)")).selectSql());
        assertThrows(JobFailure.class, () -> projected.withProjection("nope", "1", null));
    }

    @Test
    void unknownColumnsAndMalformedRangesAreBadInput() {
        assertThrows(JobFailure.class, () -> RowSelection.of(SHAPE, List.of("nope"), null, "test"));
        assertThrows(JobFailure.class, () -> RowSelection.of(SHAPE, null, KeyRange.parse("nope:1:2"), "test"));
        assertThrows(JobFailure.class, () -> KeyRange.parse("id:1"));
        assertThrows(JobFailure.class, () -> KeyRange.parse("ts:2024-01-01 10:00:00:2024-01-02"));
    }
}
