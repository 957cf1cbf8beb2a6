package io.tributary.cdc;

import io.tributary.catalog.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A followed table as it stands in the target: the columns changes may write, with their types. */
record TargetTable(TableRef name, Map<String, Column> columns, boolean partitioned) {
    /** Built-in types have the same OID in every database; user types (enums, domains) do not. */
    static final int FIRST_USER_OID = 16384;

    record Column(String name, String type, int typeOid, int typeModifier) {
    }

    /** The target's writable columns (generated ones are computed by the target itself), in table order. */
    static Optional<TargetTable> read(Connection target, TableRef table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT a.attname,"
                + " pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid::int, a.atttypmod, c.relkind = 'p'"
                + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')"
                + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            Map<String, Column> columns = new LinkedHashMap<>();
            boolean partitioned = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), new Column(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4)));
                    partitioned = rs.getBoolean(5);
                }
            }
            return columns.isEmpty() ? Optional.empty() : Optional.of(new TargetTable(table, columns, partitioned));
        }
    }

    /**
     * How a source Relation message differs from this table (a DDL change on the source since the copy): empty if
     * every published column exists here with the same built-in type and modifier, and nothing is missing.
     */
    List<String> differences(PgOutputDecoder.Relation relation) {
        List<String> differences = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (PgOutputDecoder.Column c : relation.columns()) {
            seen.add(c.name());
            Column mine = columns.get(c.name());
            if (mine == null) {
                differences.add("column " + c.name() + " is new on the source");
            } else if (c.typeOid() < FIRST_USER_OID && (c.typeOid() != mine.typeOid()
                    || c.typeModifier() != mine.typeModifier())) {
                differences.add("column " + c.name() + " changed type on the source (target: " + mine.type() + ")");
            }
        }
        for (String name : columns.keySet()) {
            if (!seen.contains(name)) {
                differences.add("column " + name + " is gone from the source");
            }
        }
        return differences;
    }
}
