package io.tributary.warehouse;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.parquet.ParquetColumn;

/**
 * A column as stage wrote it and load creates it: recorded in {@code stage.json} beside the manifest, so load
 * needs no access to the source.
 *
 * @param name          the column name
 * @param sourceType    PostgreSQL type at the source
 * @param redshiftType  Redshift column type (DDL)
 * @param postgresType  column type in the PostgreSQL stand-in
 * @param json          JSON text in the files (parsed into SUPER / jsonb by the insert from staging)
 */
public record StagedColumn(
        @JsonProperty("name") String name,
        @JsonProperty("source_type") String sourceType,
        @JsonProperty("redshift_type") String redshiftType,
        @JsonProperty("postgres_type") String postgresType,
        @JsonProperty("json") boolean json) {

    public static StagedColumn of(ParquetColumn c) {
        return new StagedColumn(c.name(), c.sourceType(), c.redshiftType(), c.postgresType(),
                c.kind() == ParquetColumn.Kind.JSON);
    }

    public String quoted() {
        return Identifiers.quote(name);
    }

    /** The shape the checksum renders on the PostgreSQL side (source projection and the stand-in alike). */
    public ColumnShape postgresShape() {
        return ColumnShape.of(name, postgresType, ColumnShape.CanonicalForm.TEXT);
    }

    /** The shape of the Redshift column, as information_schema would spell its type. */
    public ColumnShape redshiftShape() {
        return ColumnShape.of(name, redshiftType.toLowerCase(java.util.Locale.ROOT), ColumnShape.CanonicalForm.TEXT);
    }
}
