package io.tributary.merge;

import io.tributary.catalog.TableRef;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The keys of a source table the merge needs from the catalog: single-column foreign keys and unique keys. */
final class SourceKeys {
    private SourceKeys() {
    }

    /** A single-column foreign key: {@code column} references {@code parent(parentColumn)} in the same instance. */
    record ForeignKey(String column, TableRef parent, String parentColumn) {
    }

    private static final String FOREIGN_KEYS = """
            SELECT a.attname, rn.nspname, rc.relname, ra.attname
              FROM pg_catalog.pg_constraint con
              JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
              JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
              JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
              JOIN pg_catalog.pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
             WHERE con.contype = 'f' AND n.nspname = ? AND c.relname = ?
               AND pg_catalog.array_length(con.conkey, 1) = 1
             ORDER BY con.conname
            """;

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
        List<ForeignKey> out = new ArrayList<>();
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
