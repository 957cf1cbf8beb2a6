package io.tributary.discover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Profiles tables cheaply: null fractions and distinct estimates from pg_stats; min/max of the time
 * column and of an integer primary key from the first/last entry of a btree index that the column leads
 * (checked with EXPLAIN first: a plan with a sequential scan is never run), else from pg_stats histogram
 * bounds. A table with no scans since the statistics reset is never read at all: probing it would bump its
 * idx_scan, and the next discovery would take a never-read table for a used one.
 */
final class TableProfiler {
    private static final Logger LOG = Logger.getLogger(TableProfiler.class.getName());

    private final Connection c;
    private final boolean exactCounts;

    TableProfiler(Connection c, boolean exactCounts) {
        this.c = c;
        this.exactCounts = exactCounts;
    }

    void profile(Collection<ScannedTable> tables) throws SQLException {
        if (tables.isEmpty()) {
            return;
        }
        Map<Long, ObjectNode> stats = columnStats(tables);
        try (Statement st = c.createStatement()) {
            // Only for the probes below: an index is the only acceptable path, and none may take long.
            st.execute("SET enable_seqscan = off");
            st.execute("SET enable_bitmapscan = off");
            st.execute("SET statement_timeout = '60s'");
        }
        for (ScannedTable t : tables) {
            ObjectNode profile = t.node.putObject("profile");
            profile.set("columns", stats.getOrDefault(t.oid, InventoryJson.object()));
            boolean mayRead = t.scans() > 0;
            profile.set("time_span", timeSpan(t, mayRead));
            profile.set("key_range", keyRange(t, mayRead));
            if (exactCounts) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                        InstanceScanner.MARKER + "SELECT count(*) FROM " + t.ref.quoted())) {
                    rs.next();
                    ((ObjectNode) t.node.get("size")).put("rows_exact", rs.getLong(1));
                }
            }
        }
        try (Statement st = c.createStatement()) {
            st.execute("RESET enable_seqscan");
            st.execute("RESET enable_bitmapscan");
            st.execute("RESET statement_timeout");
        }
    }

    /** pg_stats per column; a partitioned table without inherited statistics takes its largest partition's. */
    private Map<Long, ObjectNode> columnStats(Collection<ScannedTable> tables) throws SQLException {
        List<Long> oids = new ArrayList<>();
        for (ScannedTable t : tables) {
            oids.add(t.oid);
            if (t.partitioned) {
                oids.addAll(t.leaves);
            }
        }
        Map<Long, ObjectNode> byRel = new HashMap<>();
        Map<Long, Double> rows = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT c.oid::int8, s.attname, s.null_frac, s.n_distinct, s.avg_width, c.reltuples
                  FROM pg_catalog.pg_stats s
                  JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
                  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = s.attname
                 WHERE c.oid = ANY (CAST(? AS pg_catalog.oid[])) AND s.inherited = (c.relkind = 'p')
                 ORDER BY 1, a.attnum""")) {
            ps.setArray(1, InstanceScanner.oids(c, oids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode col = InventoryJson.object();
                    col.put("null_frac", rs.getDouble(3));
                    col.put("n_distinct", rs.getDouble(4));
                    col.put("avg_width", rs.getInt(5));
                    byRel.computeIfAbsent(rs.getLong(1), k -> InventoryJson.object()).set(rs.getString(2), col);
                    rows.put(rs.getLong(1), rs.getDouble(6));
                }
            }
        }
        Map<Long, ObjectNode> own = new HashMap<>();
        for (ScannedTable t : tables) {
            ObjectNode stats = byRel.get(t.oid);
            if (stats == null && t.partitioned) {
                stats = t.leaves.stream().filter(byRel::containsKey)
                        .max(java.util.Comparator.comparingDouble(rows::get)).map(byRel::get).orElse(null);
            }
            if (stats != null) {
                own.put(t.oid, stats);
            }
        }
        return own;
    }

    private ObjectNode timeSpan(ScannedTable t, boolean mayRead) throws SQLException {
        // The first time column that is indexed or part of the key (docs/inventory-format.md), else the first.
        ScannedTable.Column chosen = null;
        for (ScannedTable.Column col : t.columns) {
            if (col.family() == ScannedTable.TypeFamily.TIME && (t.primaryKey.contains(col.name())
                    || t.indexes.stream().anyMatch(i -> i.contains(col.name())))) {
                chosen = col;
                break;
            }
        }
        if (chosen == null) {
            chosen = t.columns.stream().filter(col -> col.family() == ScannedTable.TypeFamily.TIME).findFirst().orElse(null);
        }
        if (chosen == null) {
            return null;
        }
        String[] range = minMax(t, chosen, mayRead);
        if (range == null) {
            return null;
        }
        ObjectNode span = InventoryJson.object();
        span.put("column", chosen.name());
        span.put("min", range[0]);
        span.put("max", range[1]);
        span.put("source", range[2]);
        // 'infinity' / '-infinity' are sentinels ("valid forever"), not points in time: min and max above are
        // the finite extremes, and the sentinels present are listed apart (a range check must allow them).
        var infinities = span.putArray("infinities");
        for (int i = 3; i < range.length; i++) {
            if (range[i] != null) {
                infinities.add(range[i]);
            }
        }
        return span;
    }

    private ObjectNode keyRange(ScannedTable t, boolean mayRead) throws SQLException {
        if (t.primaryKey.size() != 1) {
            return null;
        }
        ScannedTable.Column key = t.column(t.primaryKey.get(0));
        if (key == null || key.family() != ScannedTable.TypeFamily.INTEGER) {
            return null;
        }
        String[] range = minMax(t, key, mayRead);
        ObjectNode out = InventoryJson.object();
        out.put("column", key.name());
        if (range == null) {
            out.putNull("min");
            out.putNull("max");
            out.put("source", "none");
        } else {
            out.put("min", Long.parseLong(range[0]));
            out.put("max", Long.parseLong(range[1]));
            out.put("source", range[2]);
        }
        return out;
    }

    /**
     * {min, max, source, "-infinity" or null, "infinity" or null}: the finite extremes as ISO text / integer text
     * (null when every value is infinite), or null when nothing is known (e.g. empty table).
     */
    private String[] minMax(ScannedTable t, ScannedTable.Column col, boolean mayRead) throws SQLException {
        if (mayRead && t.indexes.stream().anyMatch(i -> i.leadsWith(col.name()))) {
            String[] viaIndex = viaIndex(t, col);
            if (viaIndex != null) {
                return viaIndex;
            }
        }
        return viaHistogram(t, col);
    }

    private String[] viaIndex(ScannedTable t, ScannedTable.Column col) throws SQLException {
        String q = Identifiers.quote(col.name());
        String from = " FROM " + t.ref.quoted();
        // Four first/last index entries: the extremes, and the extremes past the infinities (integers have none).
        boolean time = col.family() == ScannedTable.TypeFamily.TIME;
        String sql = "SELECT (SELECT pg_catalog.to_json(min(" + q + "))#>>'{}'" + from
                + (time ? " WHERE " + q + " > '-infinity'" : "") + "),"
                + " (SELECT pg_catalog.to_json(max(" + q + "))#>>'{}'" + from
                + (time ? " WHERE " + q + " < 'infinity'" : "") + "),"
                + " (SELECT pg_catalog.to_json(min(" + q + "))#>>'{}'" + from + "),"
                + " (SELECT pg_catalog.to_json(max(" + q + "))#>>'{}'" + from + ")";
        try (Statement st = c.createStatement()) {
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = st.executeQuery("EXPLAIN (FORMAT JSON) " + sql)) {
                while (rs.next()) {
                    plan.append(rs.getString(1));
                }
            }
            String p = plan.toString();
            if (p.contains("\"Seq Scan\"") || p.contains("Bitmap") || p.contains("\"Sample Scan\"")) {
                LOG.fine(() -> "min/max of " + t.ref + "." + col.name() + " would scan the table; using pg_stats");
                return null;
            }
            try (ResultSet rs = st.executeQuery(InstanceScanner.MARKER + sql)) {
                rs.next();
                if (rs.getString(3) == null) {
                    return null; // empty, or only NULLs
                }
                return range(rs.getString(1), rs.getString(2), "index", rs.getString(3), rs.getString(4));
            }
        } catch (SQLException e) {
            if ("57014".equals(e.getSQLState())) {
                LOG.warning("min/max of " + t.ref + "." + col.name() + " via its index timed out; using pg_stats");
                return null;
            }
            throw e;
        }
    }

    /** The extreme values ANALYZE saw: histogram bounds and most common values of the table (and partitions). */
    private String[] viaHistogram(ScannedTable t, ScannedTable.Column col) throws SQLException {
        List<Long> rels = new ArrayList<>();
        rels.add(t.oid);
        if (t.partitioned) {
            rels.addAll(t.leaves);
        }
        String type = col.type() + "[]";
        String finite = col.family() == ScannedTable.TypeFamily.TIME ? " FILTER (WHERE pg_catalog.isfinite(v))" : "";
        // The statistics rows are narrowed to this table's column BEFORE their values are cast to its type: another
        // table's column of the same name may hold values of another type (uuid where this one is bigint).
        String ofThisTable = "   FROM pg_catalog.pg_stats s"
                + " JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname"
                + " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename"
                + " WHERE s.attname = ? AND c.oid = ANY (CAST(? AS pg_catalog.oid[])) AND s.inherited = (c.relkind = 'p')";
        String sql = "SELECT pg_catalog.to_json(min(v)" + finite + ")#>>'{}', pg_catalog.to_json(max(v)" + finite + ")#>>'{}',"
                + " pg_catalog.to_json(min(v))#>>'{}', pg_catalog.to_json(max(v))#>>'{}' FROM ("
                + " SELECT pg_catalog.unnest(s.histogram_bounds::text::" + type + ") AS v" + ofThisTable
                + " UNION ALL"
                + " SELECT pg_catalog.unnest(s.most_common_vals::text::" + type + ")" + ofThisTable + ") x";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            java.sql.Array oids = InstanceScanner.oids(c, rels);
            ps.setString(1, col.name());
            ps.setArray(2, oids);
            ps.setString(3, col.name());
            ps.setArray(4, oids);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getString(3) == null) {
                    return null; // never analyzed, or no statistics for this column
                }
                return range(rs.getString(1), rs.getString(2), "pg_stats", rs.getString(3), rs.getString(4));
            }
        }
    }

    /** The finite extremes, and which infinities lie beyond them. */
    private static String[] range(String finiteMin, String finiteMax, String source, String min, String max) {
        return new String[] {finiteMin, finiteMax, source,
            "-infinity".equals(min) ? min : null, "infinity".equals(max) ? max : null};
    }
}
