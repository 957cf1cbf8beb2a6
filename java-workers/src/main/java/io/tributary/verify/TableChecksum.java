package io.tributary.verify;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.RowSelection;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one checksum function. The database itself counts the rows of a {@link RowSelection} and sums a 64-bit hash
 * of each row over them (the native hash below, or in another {@link ChecksumDialect} the portable md5-based hash);
 * nothing is hashed in Java. Partition and chunk results combine with {@link Checksum#plus} /
 * {@link Checksum#combine}.
 *
 * <p>The native row hash is {@code hash_record_extended(ROW(v1, v2, ...), 0)}: PostgreSQL's own hash of each
 * value's type, combined in target-shape order (NULL contributes 0, an empty string does not). A value is hashed
 * typed where that hash depends only on the value and agrees across the widenings a copy makes ({@link #hashed}):
 * integers and numerics as numeric (so 1.50 in numeric(10,2), 1.5000 in numeric(12,4) and a widened integer hash
 * alike), floats as double precision, character types as text, json as jsonb, timestamps as their instant.
 * Everything else is hashed as its canonical text ({@link #canonical}): enums (whose hash is their OID, different
 * in every database), arrays, intervals, money, domains over those, ... Hashing typed values skips rendering every
 * value as text, which was most of the cost of verification (hashtextextended of the row text, kept as
 * {@link ChecksumDialect#POSTGRES_TEXT_V1} for archives cataloged with it). Canonical text relies on the session
 * settings every factory connection has (TimeZone=UTC, DateStyle=ISO, IntervalStyle=postgres,
 * extra_float_digits=1, bytea_output=hex).
 */
public final class TableChecksum {
    private static final String ALIAS = "r";
    /** "numeric(12,4)" → "numeric", "timestamp(3) with time zone" → "timestamp with time zone". */
    private static final Pattern TYPE_MODIFIER = Pattern.compile("\\(\\d+(,\\d+)?\\)");
    /**
     * Types hashed as themselves, by the type the hash is computed in. Integers hash as numeric so a column an
     * integer in one database and numeric in another (a widening) hashes alike; bpchar becomes text without its
     * padding, as in its canonical text.
     */
    private static final Map<String, String> HASHED_AS = Map.ofEntries(
            Map.entry("smallint", "numeric"), Map.entry("integer", "numeric"), Map.entry("bigint", "numeric"),
            Map.entry("real", "double precision"), Map.entry("double precision", "double precision"),
            Map.entry("boolean", "boolean"), Map.entry("text", "text"), Map.entry("character varying", "text"),
            Map.entry("character", "text"), Map.entry("date", "date"),
            Map.entry("timestamp without time zone", "timestamp without time zone"),
            Map.entry("timestamp with time zone", "timestamp with time zone"), Map.entry("uuid", "uuid"),
            Map.entry("bytea", "bytea"), Map.entry("jsonb", "jsonb"));

    private final RowSelection selection;
    private final ChecksumDialect dialect;

    /** The native PostgreSQL hash (PostgreSQL on both sides). */
    public TableChecksum(RowSelection selection) {
        this(selection, ChecksumDialect.POSTGRES);
    }

    /** The hash of this dialect: e.g. {@link ChecksumDialect#REDSHIFT} on a warehouse table. */
    public TableChecksum(RowSelection selection, ChecksumDialect dialect) {
        this.selection = selection;
        this.dialect = dialect;
    }

    public ChecksumDialect dialect() {
        return dialect;
    }

    /** The canonical text of one column value. */
    public static String canonical(ColumnShape column) {
        String ref = ALIAS + "." + column.quotedName();
        return switch (column.canonical()) {
            case NUMERIC -> "pg_catalog.trim_scale(" + ref + ")::text";
            case MONEY -> "pg_catalog.trim_scale(" + ref + "::numeric)::text";
            case JSON -> ref + "::jsonb::text";
            // Numeric elements are never quoted in array text; strip ".000" then trailing zeros after a digit.
            case NUMERIC_ARRAY -> "pg_catalog.regexp_replace(pg_catalog.regexp_replace(" + ref
                    + "::text, '\\.0+(?=[,}])', '', 'g'), '(\\.[0-9]*[1-9])0+(?=[,}])', '\\1', 'g')";
            case TEXT -> ref + "::text";
        };
    }

    /**
     * The value one column contributes to the native row hash, over a relation aliased {@code r}: typed (cast to
     * the base type the hash is computed in) where PostgreSQL's hash of the type depends only on the value,
     * else the canonical text.
     */
    public static String hashed(ColumnShape column) {
        String ref = ALIAS + "." + column.quotedName();
        return switch (column.canonical()) {
            case NUMERIC -> ref + "::numeric";
            case JSON -> ref + "::jsonb";
            case MONEY, NUMERIC_ARRAY -> canonical(column);
            case TEXT -> {
                String hashedAs = HASHED_AS.get(TYPE_MODIFIER.matcher(column.type()).replaceAll(""));
                yield hashedAs == null ? canonical(column) : ref + "::" + hashedAs;
            }
        };
    }

    /** {@code ROW(...)::text} of the canonical column expressions (the v1 text hash). */
    public String rowText() {
        return rowText(selection.columns());
    }

    /**
     * {@code ROW(...)::text} of the canonical expressions of these columns, over a relation aliased {@code r}
     * (for queries that are not a plain {@link RowSelection}, e.g. per-segment checksums).
     */
    public static String rowText(List<ColumnShape> columns) {
        return "ROW(" + columns.stream().map(TableChecksum::canonical).collect(Collectors.joining(", ")) + ")::text";
    }

    /** The signed 64-bit native hash of one row: what the checksum sums. Over a relation aliased {@code r}. */
    public static String rowHash(List<ColumnShape> columns) {
        return "pg_catalog.hash_record_extended(ROW("
                + columns.stream().map(TableChecksum::hashed).collect(Collectors.joining(", ")) + "), 0)";
    }

    /** The alias every checksum query gives the relation it hashes. */
    public static String alias() {
        return ALIAS;
    }

    /** count(*) and the exact sum of the dialect's row hashes, over exactly the copy's SELECT. */
    public String sql() {
        return dialect.checksumSql(selection.selectSql(), selection.columns());
    }

    /** Runs the checksum on this connection, in whatever transaction (snapshot) it is in. */
    public Checksum compute(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql())) {
            rs.next();
            long rows = rs.getLong("row_count");
            BigDecimal sum = rs.getBigDecimal("hash_sum");
            return Checksum.fromSum(rows, sum);
        }
    }
}
