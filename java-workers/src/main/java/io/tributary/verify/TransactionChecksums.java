package io.tributary.verify;

import io.tributary.catalog.RowSelection;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The target database's checksums of the rows each of several transactions wrote into one table, all in one pass:
 * count and hash sum (the native hash of {@link TableChecksum}) grouped by {@code xmin}. A chunked copy lands each
 * chunk in its own transaction; this computes every chunk's target checksum from what the target stored, with one
 * read of the table instead of one per chunk. Optionally over a range of pages only ({@code ctid}, a TID range
 * scan), so several connections can share the read: per-transaction results of disjoint page ranges add up.
 */
public final class TransactionChecksums {
    private static final String XID = "\"tributary xid\"";

    private final RowSelection table;

    /** {@code table}: the target's columns in the order both sides hash them (no predicate needed). */
    public TransactionChecksums(RowSelection table) {
        this.table = table;
    }

    /** The 32-bit transaction id a row's {@code xmin} holds, from a 64-bit {@code pg_current_xact_id()}. */
    public static long xid32(long fullXid) {
        return fullXid & 0xffffffffL;
    }

    /**
     * The query: rows whose xmin is one of {@code xids} (32-bit), in pages [fromPage, toPage) (null: unbounded),
     * grouped by xmin.
     */
    public String sql(Collection<Long> xids, Long fromPage, Long toPage) {
        StringBuilder where = new StringBuilder("\"xmin\" = ANY('{")
                .append(xids.stream().map(String::valueOf).collect(Collectors.joining(",")))
                .append("}'::xid[])");
        if (fromPage != null && fromPage > 0) {
            where.append(" AND ctid >= '(").append(fromPage).append(",0)'::tid");
        }
        if (toPage != null) {
            where.append(" AND ctid < '(").append(toPage).append(",0)'::tid");
        }
        String select = table.withPredicate(where.toString()).selectSql();
        // A table without columns selects no column: then nothing but xmin (its rows are verified by count).
        String inner = "SELECT \"xmin\" AS " + XID + (table.columns().isEmpty() ? "" : ", ")
                + select.substring("SELECT ".length());
        return "SELECT " + TableChecksum.alias() + "." + XID + "::text AS xid, count(*) AS row_count, "
                + ChecksumDialect.POSTGRES.hashSum(table.columns()) + " AS hash_sum FROM (" + inner + ") AS "
                + TableChecksum.alias() + " GROUP BY " + TableChecksum.alias() + "." + XID;
    }

    /** 32-bit xid → checksum of its rows; a transaction with no rows (left) is absent. */
    public Map<Long, Checksum> compute(Connection connection, Collection<Long> xids, Long fromPage, Long toPage)
            throws SQLException {
        Map<Long, Checksum> out = new HashMap<>();
        if (xids.isEmpty()) {
            return out;
        }
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql(xids, fromPage, toPage))) {
            while (rs.next()) {
                BigDecimal sum = rs.getBigDecimal("hash_sum");
                out.put(Long.parseLong(rs.getString("xid")), Checksum.fromSum(rs.getLong("row_count"), sum));
            }
        }
        return out;
    }

    /** Adds per-transaction results of another page range into {@code into}. */
    public static void merge(Map<Long, Checksum> into, Map<Long, Checksum> part) {
        part.forEach((xid, c) -> into.merge(xid, c, Checksum::plus));
    }
}
