package io.tributary.catalog;

import io.tributary.result.JobFailure;

/**
 * A half-open key range {@code [lo, hi)} over one column: the unit of a chunk. A null bound is open, so
 * chunks {@code [null, 100)}, {@code [100, 200)}, {@code [200, null)} cover a table exactly once.
 * Bounds are text and cast to the key column's type in SQL.
 */
public record KeyRange(String column, String lo, String hi) {

    public KeyRange {
        if (column == null || column.isEmpty()) {
            throw new IllegalArgumentException("key range needs a column");
        }
    }

    /**
     * Parses {@code key:lo:hi} (lo inclusive, hi exclusive; either may be empty for "open"). Bounds cannot
     * contain ':' here; callers that chunk by timestamps use the library, not the command line.
     */
    public static KeyRange parse(String text) {
        String[] parts = text == null ? new String[0] : text.split(":", -1);
        if (parts.length != 3 || parts[0].isEmpty()) {
            throw JobFailure.badInput("--where-range '" + text + "' must be key:lo:hi (lo inclusive, hi exclusive,"
                    + " either may be empty; values cannot contain ':')");
        }
        return new KeyRange(parts[0], parts[1].isEmpty() ? null : parts[1], parts[2].isEmpty() ? null : parts[2]);
    }

    /** The WHERE condition, or null for a fully open range. Literals are inlined because COPY takes no parameters. */
    public String condition(ColumnShape key) {
        String col = key.quotedName();
        String type = key.type();
        StringBuilder sql = new StringBuilder();
        if (lo != null) {
            sql.append(col).append(" >= CAST(").append(Identifiers.literal(lo)).append(" AS ").append(type).append(')');
        }
        if (hi != null) {
            if (sql.length() > 0) {
                sql.append(" AND ");
            }
            sql.append(col).append(" < CAST(").append(Identifiers.literal(hi)).append(" AS ").append(type).append(')');
        }
        return sql.length() == 0 ? null : sql.toString();
    }

    @Override
    public String toString() {
        return column + ":" + (lo == null ? "" : lo) + ":" + (hi == null ? "" : hi);
    }
}
