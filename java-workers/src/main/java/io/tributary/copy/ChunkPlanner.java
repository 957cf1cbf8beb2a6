package io.tributary.copy;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.result.JobFailure;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Cuts a table into half-open key ranges of roughly {@code chunkRows} rows, reading only the source's
 * snapshot. The ranges always cover the whole key space (the first is open below, the last open above), so a
 * row that appears after planning still belongs to exactly one chunk.
 *
 * <ul>
 *   <li>an integer key: equal-width ranges between min and max;</li>
 *   <li>any other single NOT NULL key: bounds at quantiles of a sample of its values;</li>
 *   <li>no usable key: ranges of physical pages ({@code ctid}), scanned by TID range scans.</li>
 * </ul>
 */
final class ChunkPlanner {
    private static final Set<String> INTEGER_TYPES = Set.of("smallint", "integer", "bigint");
    /** Sample at least this many rows per chunk boundary, so quantiles are stable. */
    private static final long SAMPLE_ROWS_PER_CHUNK = 200;

    /** The plan: the key it ranges over (null for one whole-table chunk) and the ranges in order. */
    record ChunkPlan(String keyColumn, String method, List<KeyRange> ranges) {
    }

    private ChunkPlanner() {
    }

    /**
     * The column to range over: the explicit one (must exist and be NOT NULL, or rows with NULL would belong
     * to no range), else the primary key's single column, else the first column of a composite key, else
     * null (CTID pages).
     */
    static ColumnShape keyColumn(TableShape shape, String explicit) {
        if (explicit != null) {
            if (RowSelection.CTID.equals(explicit)) {
                return null;
            }
            ColumnShape c = shape.column(explicit).orElseThrow(() -> JobFailure.badInput(
                    "--key " + explicit + " is not a column of " + shape.table()));
            if (!c.notNull()) {
                throw JobFailure.badInput("--key " + explicit + " is nullable in " + shape.table()
                        + ": rows with NULL would belong to no key range; choose a NOT NULL column or ctid");
            }
            return c;
        }
        return shape.primaryKeyIfAny()
                .flatMap(pk -> shape.column(pk.columns().get(0)))
                .orElse(null);
    }

    static ChunkPlan plan(Connection source, TableShape shape, long rows, long chunkRows, String explicitKey)
            throws SQLException {
        ColumnShape key = keyColumn(shape, explicitKey);
        int chunks = (int) Math.min(10_000, Math.max(1, (rows + chunkRows - 1) / chunkRows));
        if (chunks == 1) {
            List<KeyRange> whole = new ArrayList<>();
            whole.add(null);
            return new ChunkPlan(null, "whole table", whole);
        }
        if (key == null) {
            return ctidPlan(source, shape, chunks);
        }
        if (INTEGER_TYPES.contains(key.type())) {
            return integerPlan(source, shape, key, chunks);
        }
        return sampledPlan(source, shape, key, rows, chunks);
    }

    private static ChunkPlan integerPlan(Connection source, TableShape shape, ColumnShape key, int chunks)
            throws SQLException {
        String col = key.quotedName();
        BigInteger min;
        BigInteger max;
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT min(" + col + ")::text, max(" + col + ")::text FROM " + shape.readFrom())) {
            rs.next();
            if (rs.getString(1) == null) {
                return wholeTable();
            }
            min = new BigInteger(rs.getString(1));
            max = new BigInteger(rs.getString(2));
        }
        BigInteger span = max.subtract(min).add(BigInteger.ONE);
        BigInteger n = BigInteger.valueOf(chunks).min(span);
        BigInteger width = span.add(n).subtract(BigInteger.ONE).divide(n);
        List<String> bounds = new ArrayList<>();
        for (BigInteger b = min.add(width); b.compareTo(max) <= 0; b = b.add(width)) {
            bounds.add(b.toString());
        }
        return new ChunkPlan(key.name(), "equal-width ranges of " + key.name(), ranges(key.name(), bounds));
    }

    private static ChunkPlan sampledPlan(Connection source, TableShape shape, ColumnShape key, long rows,
            int chunks) throws SQLException {
        double percent = Math.min(100.0, 100.0 * SAMPLE_ROWS_PER_CHUNK * chunks / Math.max(1, rows));
        StringBuilder fractions = new StringBuilder("ARRAY[");
        for (int i = 1; i < chunks; i++) {
            fractions.append(i == 1 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", (double) i / chunks));
        }
        fractions.append("]::float8[]");
        String col = key.quotedName();
        // Quantiles of a sample, ascending in the key's own order; as text, cast back in each range condition.
        String sql = "SELECT percentile_disc(" + fractions + ") WITHIN GROUP (ORDER BY " + col + ")::text[] FROM "
                + shape.readFrom() + " TABLESAMPLE BERNOULLI (" + String.format(Locale.ROOT, "%.6f", percent)
                + ") REPEATABLE (42)";
        List<String> bounds = new ArrayList<>();
        try (Statement st = source.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            Array array = rs.getArray(1);
            if (array != null) {
                for (Object o : (Object[]) array.getArray()) {
                    String b = (String) o;
                    if (b != null && (bounds.isEmpty() || !bounds.get(bounds.size() - 1).equals(b))) {
                        bounds.add(b);
                    }
                }
            }
        }
        if (bounds.isEmpty()) {
            return wholeTable();
        }
        return new ChunkPlan(key.name(), "sampled quantiles of " + key.name(), ranges(key.name(), bounds));
    }

    private static ChunkPlan ctidPlan(Connection source, TableShape shape, int chunks) throws SQLException {
        long pages;
        // A partitioned table's ctids restart in each partition: range over the largest partition's pages.
        try (PreparedStatement ps = source.prepareStatement("SELECT greatest(pg_catalog.pg_relation_size(?::regclass),"
                + " (SELECT coalesce(max(pg_catalog.pg_relation_size(p.relid)), 0)"
                + " FROM pg_catalog.pg_partition_tree(?::regclass) p)) / current_setting('block_size')::bigint")) {
            ps.setString(1, shape.table().quoted());
            ps.setString(2, shape.table().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                pages = rs.getLong(1);
            }
        }
        if (pages < 2) {
            return wholeTable();
        }
        long n = Math.min(chunks, pages);
        long width = (pages + n - 1) / n;
        List<String> bounds = new ArrayList<>();
        for (long p = width; p < pages; p += width) {
            bounds.add("(" + p + ",0)");
        }
        return new ChunkPlan(RowSelection.CTID, "page ranges (no usable key)", ranges(RowSelection.CTID, bounds));
    }

    private static ChunkPlan wholeTable() {
        List<KeyRange> whole = new ArrayList<>();
        whole.add(null);
        return new ChunkPlan(null, "whole table", whole);
    }

    /** {@code [null, b1), [b1, b2), ..., [bn, null)}. */
    private static List<KeyRange> ranges(String column, List<String> bounds) {
        List<KeyRange> ranges = new ArrayList<>();
        String lo = null;
        for (String b : bounds) {
            ranges.add(new KeyRange(column, lo, b));
            lo = b;
        }
        ranges.add(new KeyRange(column, lo, null));
        return ranges;
    }
}
