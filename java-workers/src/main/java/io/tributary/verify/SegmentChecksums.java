package io.tributary.verify;

import io.tributary.catalog.ColumnShape;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Count and checksum of every segment of a relation in ONE query: {@code GROUP BY <segment expression>}
 * (e.g. {@code width_bucket(key, ARRAY[bounds])}), not one query per segment. Same row hash as {@link TableChecksum}, so the segment
 * checksums of a table add up (mod 2^64) to its table checksum.
 */
public final class SegmentChecksums {
    private SegmentChecksums() {
    }

    /**
     * @param relationSql a SELECT yielding at least {@code columns} (and whatever the segment expression uses)
     * @param columns     the hashed columns, in target-shape order
     * @param segmentExpr an int expression over the relation aliased {@code r}: the segment a row belongs to
     * @param segments    the segment numbers wanted; rows in other segments are not counted. Joining this
     *                    short VALUES list (rather than grouping by the expression itself) tells the planner
     *                    there are few groups: a parallel hash aggregate instead of a sort of every row.
     */
    public static String sql(String relationSql, List<ColumnShape> columns, String segmentExpr,
            Collection<Integer> segments) {
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("no segments");
        }
        String values = segments.stream().map(n -> "(" + n + ")").collect(Collectors.joining(", "));
        return "SELECT s.segment, count(*) AS row_count, "
                + "sum(" + TableChecksum.rowHash(columns) + "::numeric) AS hash_sum"
                + " FROM (" + relationSql + ") AS " + TableChecksum.alias()
                + " JOIN (VALUES " + values + ") AS s(segment) ON s.segment = " + segmentExpr
                + " GROUP BY s.segment";
    }

    /** Runs {@link #sql}: segment number → checksum. Segments without rows are absent. */
    public static Map<Integer, Checksum> compute(Connection connection, String sql) throws SQLException {
        Map<Integer, Checksum> segments = new TreeMap<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                long rows = rs.getLong("row_count");
                BigDecimal sum = rs.getBigDecimal("hash_sum");
                segments.put(rs.getInt("segment"), Checksum.fromSum(rows, sum));
            }
        }
        return segments;
    }
}
