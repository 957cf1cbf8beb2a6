package io.tributary.merge;

import io.tributary.catalog.TableRef;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The keys of a source table the merge needs from the catalog: foreign keys (column by column) and unique keys. */
final class SourceKeys {
    private SourceKeys() {
    }

    /**
     * One column of a foreign key (a composite key gives one per column): {@code column} references
     * {@code parent(parentColumn)} in the same instance. {@code path} follows that column on through the parents'
     * own foreign keys (transfers.(user_id, currency) → accounts.(user_id, currency), accounts.user_id → users.id),
     * starting with the parent itself: the column must be remapped exactly as the parent's copy remaps its column,
     * which is by the deepest table on the path whose key is remapped.
     */
    record ForeignKey(String column, TableRef parent, String parentColumn, List<Hop> path) {
        ForeignKey(String column, TableRef parent, String parentColumn) {
            this(column, parent, parentColumn, List.of(new Hop(parent, parentColumn)));
        }
    }

    /** A column of a table, one step along a chain of foreign keys. */
    record Hop(TableRef table, String column) {
    }

    private static final String FOREIGN_KEYS = """
            SELECT a.attname, rn.nspname, rc.relname, ra.attname
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
              JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
             CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(attnum, fattnum, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
              JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.fattnum
             WHERE con.contype = 'f' AND n.nspname = ? AND c.relname = ?
             ORDER BY con.conname, k.ord
            """;

    /** Chains longer than this are cut (and a cycle of foreign keys cannot loop). */
    private static final int MAX_DEPTH = 16;

    private static final String UNIQUE_KEYS = """
            SELECT array_agg(a.attname::text ORDER BY k.ord)
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             WHERE con.contype = 'u' AND n.nspname = ? AND c.relname = ?
             GROUP BY con.oid, con.conname
             ORDER BY con.conname
            """;

    static List<ForeignKey> foreignKeys(Connection c, TableRef table) throws SQLException {
        Map<TableRef, List<ForeignKey>> direct = new HashMap<>();
        List<ForeignKey> out = new ArrayList<>();
        for (ForeignKey fk : direct(c, table, direct)) {
            List<Hop> path = new ArrayList<>(List.of(new Hop(fk.parent(), fk.parentColumn())));
            while (path.size() < MAX_DEPTH) {
                Hop at = path.get(path.size() - 1);
                Optional<ForeignKey> next = direct(c, at.table(), direct).stream()
                        .filter(p -> p.column().equals(at.column())).findFirst();
                if (next.isEmpty() || path.contains(new Hop(next.get().parent(), next.get().parentColumn()))) {
                    break;
                }
                path.add(new Hop(next.get().parent(), next.get().parentColumn()));
            }
            out.add(new ForeignKey(fk.column(), fk.parent(), fk.parentColumn(), List.copyOf(path)));
        }
        return out;
    }

    private static List<ForeignKey> direct(Connection c, TableRef table, Map<TableRef, List<ForeignKey>> cache)
            throws SQLException {
        List<ForeignKey> known = cache.get(table);
        if (known != null) {
            return known;
        }
        List<ForeignKey> out = new ArrayList<>();
        cache.put(table, out);
        try (PreparedStatement ps = c.prepareStatement(FOREIGN_KEYS)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ForeignKey(rs.getString(1), new TableRef(rs.getString(2), rs.getString(3)),
                            rs.getString(4)));
                }
            }
        }
        return out;
    }

    static List<List<String>> uniqueKeys(Connection c, TableRef table) throws SQLException {
        List<List<String>> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(UNIQUE_KEYS)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Array a = rs.getArray(1);
                    out.add(Arrays.asList((String[]) a.getArray()));
                }
            }
        }
        return out;
    }
}
