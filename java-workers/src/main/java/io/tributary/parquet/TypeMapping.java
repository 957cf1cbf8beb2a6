package io.tributary.parquet;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.result.JobFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * PostgreSQL types to Parquet (and on to Redshift / the PostgreSQL stand-in) without losing information:
 * {@code numeric(p,s)} keeps p and s as DECIMAL; unbounded {@code numeric} is refused (exit 2) unless
 * {@code targets.warehouse.unbounded_numeric} names a DECIMAL(p,s) it must fit exactly (values that would
 * round are refused at write time) or {@code text}; {@code timestamptz} is TIMESTAMP(MICROS, UTC-adjusted);
 * json/jsonb/arrays are JSON text, loaded into SUPER or VARCHAR per {@code json_mapping}; types without an
 * exact Parquet counterpart (uuid, interval, time, inet, enums, ...) travel as their canonical text.
 */
public final class TypeMapping {
    private static final Pattern NUMERIC = Pattern.compile("^numeric\\((\\d+),(\\d+)\\)$");
    private static final Pattern DECIMAL_SETTING = Pattern.compile("^(?:numeric|decimal)\\((\\d+),\\s*(\\d+)\\)$");
    /** Redshift's widest DECIMAL. */
    public static final int MAX_PRECISION = 38;

    /** {@code json_mapping}: where json/jsonb/array columns land. */
    public enum JsonMapping { SUPER, TEXT }

    private final JsonMapping jsonMapping;
    private final String unboundedNumeric;
    /** Archive mode: every value must come back into PostgreSQL exactly as it left (see {@link #forArchive}). */
    private final boolean postgresRoundTrip;
    /**
     * Files for Redshift's COPY ... FORMAT AS PARQUET, which reads them through Spectrum's documented Parquet types
     * (docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html, c-spectrum-data-files.html,
     * r_CREATE_EXTERNAL_TABLE.html): DECIMAL always as FIXED_LEN_BYTE_ARRAY (not INT32/INT64), JSON as a plain
     * UTF-8 string (not JSON-annotated) into VARCHAR; timestamptz stays a UTC-adjusted timestamp, which the load
     * stages into TIMESTAMP (Spectrum's type for it) and converts.
     */
    private final boolean redshift;

    /**
     * @param jsonMapping      SUPER (Redshift SUPER via JSON_PARSE) or TEXT (VARCHAR)
     * @param unboundedNumeric null (refuse), {@code text}, or {@code decimal(p,s)}
     */
    public TypeMapping(JsonMapping jsonMapping, String unboundedNumeric) {
        this(jsonMapping, unboundedNumeric, false, false);
    }

    /** The warehouse's mapping; {@code redshift}: files shaped for Redshift's COPY (see {@link #redshift}). */
    public TypeMapping(JsonMapping jsonMapping, String unboundedNumeric, boolean redshift) {
        this(jsonMapping, unboundedNumeric, false, redshift);
    }

    /**
     * The archive's mapping: no Redshift in sight, the rows only ever go back into PostgreSQL (a restore) or to
     * independent readers (pyarrow). So nothing is refused and nothing is re-rendered: unbounded numeric and
     * numeric wider than DECIMAL(38) travel as their exact text; json keeps its own text (whitespace, key order);
     * arrays travel as PostgreSQL array text, which COPY reads back into the same array. Every other type maps
     * as for the warehouse (typed Parquet where it is exact, canonical text otherwise).
     */
    public static TypeMapping forArchive() {
        return new TypeMapping(JsonMapping.TEXT, "text", true, false);
    }

    private TypeMapping(JsonMapping jsonMapping, String unboundedNumeric, boolean postgresRoundTrip,
            boolean redshift) {
        this.postgresRoundTrip = postgresRoundTrip;
        this.redshift = redshift;
        this.jsonMapping = jsonMapping;
        this.unboundedNumeric = unboundedNumeric == null ? null : unboundedNumeric.strip().toLowerCase(Locale.ROOT);
        if (this.unboundedNumeric != null && !this.unboundedNumeric.equals("text")
                && !DECIMAL_SETTING.matcher(this.unboundedNumeric).matches()) {
            throw JobFailure.badInput("targets.warehouse.unbounded_numeric must be 'text' or 'decimal(p,s)', not '"
                    + unboundedNumeric + "'");
        }
    }

    public JsonMapping jsonMapping() {
        return jsonMapping;
    }

    public List<ParquetColumn> map(String table, List<ColumnShape> columns) {
        List<ParquetColumn> mapped = new ArrayList<>();
        for (ColumnShape c : columns) {
            mapped.add(map(table, c));
        }
        return mapped;
    }

    public static MessageType schema(String name, List<ParquetColumn> columns) {
        return new MessageType(name, columns.stream().map(ParquetColumn::field).toList());
    }

    ParquetColumn map(String table, ColumnShape column) {
        String type = column.type();
        String name = column.name();
        String q = Identifiers.quote(name);
        if (postgresRoundTrip && type.endsWith("[]")) {
            return new ParquetColumn(name, type, ParquetColumn.Kind.TEXT, 0, 0, q + "::text",
                    string(name, LogicalTypeAnnotation.stringType()), "VARCHAR(65535)", type, 0);
        }
        if (postgresRoundTrip && (type.equals("json") || type.equals("jsonb"))) {
            return new ParquetColumn(name, type, ParquetColumn.Kind.JSON, 0, 0, q + "::text",
                    string(name, LogicalTypeAnnotation.jsonType()), "VARCHAR(65535)", type, 0);
        }
        if (type.endsWith("[]") || type.equals("json") || type.equals("jsonb")) {
            String select = type.endsWith("[]") ? "pg_catalog.to_jsonb(" + q + ")::text" : q + "::jsonb::text";
            String target = jsonMapping == JsonMapping.SUPER ? "SUPER" : "VARCHAR(65535)";
            return new ParquetColumn(name, type, ParquetColumn.Kind.JSON, 0, 0, select,
                    string(name, redshift ? LogicalTypeAnnotation.stringType() : LogicalTypeAnnotation.jsonType()),
                    target,
                    jsonMapping == JsonMapping.SUPER ? "jsonb" : "text", ParquetColumn.REDSHIFT_MAX_VARCHAR_BYTES);
        }
        switch (type) {
            case "boolean":
                return simple(name, type, ParquetColumn.Kind.BOOLEAN, q, PrimitiveTypeName.BOOLEAN, null, "BOOLEAN",
                        "boolean");
            case "smallint":
                return simple(name, type, ParquetColumn.Kind.INT16, q, PrimitiveTypeName.INT32,
                        LogicalTypeAnnotation.intType(16, true), "SMALLINT", "smallint");
            case "integer":
                return simple(name, type, ParquetColumn.Kind.INT32, q, PrimitiveTypeName.INT32, null, "INTEGER",
                        "integer");
            case "bigint":
                return simple(name, type, ParquetColumn.Kind.INT64, q, PrimitiveTypeName.INT64, null, "BIGINT",
                        "bigint");
            case "real":
                return simple(name, type, ParquetColumn.Kind.FLOAT, q, PrimitiveTypeName.FLOAT, null, "REAL", "real");
            case "double precision":
                return simple(name, type, ParquetColumn.Kind.DOUBLE, q, PrimitiveTypeName.DOUBLE, null,
                        "DOUBLE PRECISION", "double precision");
            case "date":
                return simple(name, type, ParquetColumn.Kind.DATE, q, PrimitiveTypeName.INT32,
                        LogicalTypeAnnotation.dateType(), "DATE", "date");
            case "timestamp with time zone":
                return simple(name, type, ParquetColumn.Kind.TIMESTAMP_UTC, q, PrimitiveTypeName.INT64,
                        LogicalTypeAnnotation.timestampType(true, TimeUnit.MICROS), "TIMESTAMPTZ",
                        "timestamp with time zone");
            case "timestamp without time zone":
                return simple(name, type, ParquetColumn.Kind.TIMESTAMP_LOCAL, q, PrimitiveTypeName.INT64,
                        LogicalTypeAnnotation.timestampType(false, TimeUnit.MICROS), "TIMESTAMP",
                        "timestamp without time zone");
            case "bytea":
                return simple(name, type, ParquetColumn.Kind.BYTES, q, PrimitiveTypeName.BINARY, null,
                        "VARBYTE(1024000)", "bytea");
            case "numeric":
                return unbounded(table, name, type, q);
            default:
                break;
        }
        Matcher m = NUMERIC.matcher(type);
        if (m.matches() && postgresRoundTrip && Integer.parseInt(m.group(1)) > MAX_PRECISION) {
            return new ParquetColumn(name, type, ParquetColumn.Kind.TEXT, 0, 0, q + "::text",
                    string(name, LogicalTypeAnnotation.stringType()), "VARCHAR(1000)", type, 0);
        }
        if (m.matches()) {
            return decimal(table, name, type, q, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
        if (type.startsWith("character varying") || type.startsWith("character(") || type.equals("character")
                || type.equals("text") || type.equals("name") || type.equals("citext")) {
            // Redshift sizes VARCHAR in bytes, PostgreSQL in characters: up to 4 UTF-8 bytes each.
            Matcher length = Pattern.compile("\\((\\d+)\\)$").matcher(type);
            int bytes = length.find()
                    ? (int) Math.min(4L * Integer.parseInt(length.group(1)), ParquetColumn.REDSHIFT_MAX_VARCHAR_BYTES)
                    : ParquetColumn.REDSHIFT_MAX_VARCHAR_BYTES;
            // char(n) travels as its text, without the blank padding: a VARCHAR keeps trailing blanks
            // (r_Character_types, "Significance of trailing blanks"), PostgreSQL's char text drops them.
            boolean padded = type.startsWith("character(") || type.equals("character");
            return new ParquetColumn(name, type, ParquetColumn.Kind.TEXT, 0, 0,
                    padded && !postgresRoundTrip ? q + "::text" : q,
                    string(name, LogicalTypeAnnotation.stringType()), "VARCHAR(" + bytes + ")", type, bytes);
        }
        // uuid, interval, time, inet, enums, money, ...: the canonical text, so nothing is lost.
        String target = type.equals("uuid") ? "CHAR(36)" : "VARCHAR(65535)";
        return new ParquetColumn(name, type, ParquetColumn.Kind.TEXT, 0, 0, q + "::text",
                string(name, LogicalTypeAnnotation.stringType()), target, type.equals("uuid") ? "uuid" : "text",
                ParquetColumn.REDSHIFT_MAX_VARCHAR_BYTES);
    }

    private ParquetColumn unbounded(String table, String name, String type, String q) {
        if (unboundedNumeric == null) {
            throw JobFailure.badInput(table + "." + name + " is an unbounded numeric: Parquet and Redshift need a"
                    + " precision and scale. Set targets.warehouse.unbounded_numeric to 'decimal(p,s)' (values that"
                    + " do not fit exactly are refused, never rounded) or 'text'");
        }
        if (unboundedNumeric.equals("text")) {
            // Text it is, on both sides and in both checksums: the number as written (1.50 stays 1.50), never
            // normalised on one side only. The archive keeps numeric (it restores into PostgreSQL).
            return new ParquetColumn(name, type, ParquetColumn.Kind.TEXT, 0, 0, q + "::text",
                    string(name, LogicalTypeAnnotation.stringType()), "VARCHAR(1000)",
                    postgresRoundTrip ? "numeric" : "text", 0);
        }
        Matcher m = DECIMAL_SETTING.matcher(unboundedNumeric);
        m.matches();
        return decimal(table, name, type, q, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    private ParquetColumn decimal(String table, String name, String type, String q, int precision, int scale) {
        if (precision > MAX_PRECISION || scale > precision) {
            throw JobFailure.badInput(table + "." + name + ": " + type + " does not fit Redshift's DECIMAL (precision"
                    + " at most " + MAX_PRECISION + ")");
        }
        // The smallest physical type that holds the precision, as the Parquet spec recommends.
        Type field;
        LogicalTypeAnnotation decimal = LogicalTypeAnnotation.decimalType(scale, precision);
        if (redshift) {
            field = Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(decimalBytes(precision))
                    .as(decimal).named(name);
        } else if (precision <= 9) {
            field = Types.optional(PrimitiveTypeName.INT32).as(decimal).named(name);
        } else if (precision <= 18) {
            field = Types.optional(PrimitiveTypeName.INT64).as(decimal).named(name);
        } else {
            field = Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(decimalBytes(precision))
                    .as(decimal).named(name);
        }
        String sqlType = "NUMERIC(" + precision + "," + scale + ")";
        return new ParquetColumn(name, type, ParquetColumn.Kind.DECIMAL, precision, scale, q, field, sqlType,
                sqlType.toLowerCase(Locale.ROOT), 0);
    }

    /** Bytes of a two's-complement integer that holds every unscaled value of this precision. */
    static int decimalBytes(int precision) {
        java.math.BigInteger max = java.math.BigInteger.TEN.pow(precision);
        return (max.bitLength() + 1 + 7) / 8;
    }

    private static ParquetColumn simple(String name, String type, ParquetColumn.Kind kind, String select,
            PrimitiveTypeName primitive, LogicalTypeAnnotation logical, String redshift, String postgres) {
        var builder = Types.optional(primitive);
        Type field = logical == null ? builder.named(name) : builder.as(logical).named(name);
        return new ParquetColumn(name, type, kind, 0, 0, select, field, redshift, postgres, 0);
    }

    private static Type string(String name, LogicalTypeAnnotation annotation) {
        return Types.optional(PrimitiveTypeName.BINARY).as(annotation).named(name);
    }
}
