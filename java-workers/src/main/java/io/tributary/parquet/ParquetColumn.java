package io.tributary.parquet;

import org.apache.parquet.schema.Type;

/**
 * One source column as it is staged: the Parquet field, the SQL expression the source query selects for
 * it, how to turn the JDBC value into the Parquet value, and the warehouse types it lands in.
 *
 * @param name          the column name (also the Parquet field name)
 * @param sourceType    the PostgreSQL type as {@code format_type} spells it
 * @param kind          how values are carried
 * @param precision     DECIMAL precision (0 otherwise)
 * @param scale         DECIMAL scale (0 otherwise)
 * @param selectSql     what the source query selects (the quoted column, or a rendering such as {@code ::text})
 * @param field         the Parquet field (always optional: NULLs travel as absent values)
 * @param redshiftType  the column type in Redshift DDL
 * @param postgresType  the column type in the PostgreSQL stand-in
 * @param maxTextBytes  for text: Redshift's VARCHAR limit; longer values are reported, never truncated (0 = none)
 */
public record ParquetColumn(
        String name,
        String sourceType,
        Kind kind,
        int precision,
        int scale,
        String selectSql,
        Type field,
        String redshiftType,
        String postgresType,
        int maxTextBytes) {

    public enum Kind {
        BOOLEAN, INT16, INT32, INT64, FLOAT, DOUBLE, DECIMAL, DATE, TIMESTAMP_UTC, TIMESTAMP_LOCAL, TEXT, JSON, BYTES
    }

    /** Redshift's widest VARCHAR, in bytes. */
    public static final int REDSHIFT_MAX_VARCHAR_BYTES = 65535;
}
