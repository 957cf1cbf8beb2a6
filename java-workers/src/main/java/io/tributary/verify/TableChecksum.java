package io.tributary.verify;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.RowSelection;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one checksum function. The database itself counts the rows of a {@link RowSelection} and sums
 * {@code hashtextextended(<canonical row text>, 0)} over them (or, in another {@link ChecksumDialect}, the
 * portable md5-based hash); nothing is hashed in Java. Partition and chunk results combine with
 * {@link Checksum#plus} / {@link Checksum#combine}.
 *
 * <p>The row text is {@code ROW(c1, c2, ...)::text} over canonical column expressions in target-shape
 * order: ROW text quotes empty strings ({@code ""}) and leaves NULLs empty, so the two never collide.
 * Canonical rendering relies on the session settings every factory connection has (TimeZone=UTC,
 * DateStyle=ISO, IntervalStyle=postgres, extra_float_digits=1, bytea_output=hex) plus per-type
 * expressions from {@link #canonical}.
 */
public final class TableChecksum {
    private static final String ALIAS = "r";

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

    /** {@code ROW(...)::text} of the canonical column expressions. */
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

    /** The signed 64-bit hash of one row: what the checksum sums. Over a relation aliased {@code r}. */
    public static String rowHash(List<ColumnShape> columns) {
        return "pg_catalog.hashtextextended(" + rowText(columns) + ", 0)";
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
