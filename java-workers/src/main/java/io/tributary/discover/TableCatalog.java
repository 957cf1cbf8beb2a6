package io.tributary.discover;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tables of an instance from pg_catalog, one query per kind of object over all tables at once (a few
 * round trips whatever the table count). A partitioned table is one logical table; its partitions are
 * listed under it, never as tables.
 */
final class TableCatalog {
    private static final String OIDS = "CAST(? AS pg_catalog.oid[])";

    private final Connection c;

    TableCatalog(Connection c) {
        this.c = c;
    }

    Map<Long, ScannedTable> read(List<String> schemas) throws SQLException {
        Map<Long, ScannedTable> tables = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT c.oid::int8, n.nspname, c.relname, c.relkind = 'p', pg_catalog.obj_description(c.oid, 'pg_class'),
                       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY (?)
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
                                    WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                      AND dep.objid = c.oid AND dep.deptype = 'e')
                 ORDER BY 2, 3""")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode node = InventoryJson.object();
                    node.put("schema", rs.getString(2));
                    node.put("name", rs.getString(3));
                    boolean partitioned = rs.getBoolean(4);
                    node.put("kind", partitioned ? "partitioned" : "table");
                    node.set("partitions", InventoryJson.array());
                    node.put("comment", rs.getString(5));
                    if (partitioned) {
                        node.put("partition_key", rs.getString(6)); // e.g. RANGE (ts)
                    }
                    ScannedTable t = new ScannedTable(rs.getLong(1), new TableRef(rs.getString(2), rs.getString(3)),
                            partitioned, node);
                    tables.put(t.oid, t);
                }
            }
        }
        if (tables.isEmpty()) {
            return tables;
        }
        partitions(tables);
        columns(tables);
        constraints(tables);
        referencedBy(tables);
        indexes(tables);
        triggers(tables);
        sizes(tables);
        return tables;
    }

    private ResultSet query(PreparedStatement ps, Map<Long, ScannedTable> tables) throws SQLException {
        ps.setArray(1, InstanceScanner.oids(c, tables.keySet()));
        return ps.executeQuery();
    }

    private void partitions(Map<Long, ScannedTable> tables) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT root.oid::int8, t.relid::int8, t.isleaf, t.level, n.nspname, pc.relname,
                       pg_catalog.pg_get_expr(pc.relpartbound, pc.oid), pp.relname,
                       GREATEST(pc.reltuples, 0)::int8, pg_catalog.pg_total_relation_size(pc.oid)
                  FROM pg_catalog.pg_class root
                
                 """ + InstanceScanner.TREE + """
                  JOIN pg_catalog.pg_class pc ON pc.oid = t.relid
                  JOIN pg_catalog.pg_namespace n ON n.oid = pc.relnamespace
                  LEFT JOIN pg_catalog.pg_class pp ON pp.oid = t.parentrelid
                 WHERE root.oid = ANY (""" + OIDS + ")"
                + " ORDER BY 1, t.level, pg_catalog.pg_get_expr(pc.relpartbound, pc.oid) = 'DEFAULT', 5, 6")) {
            try (ResultSet rs = query(ps, tables)) {
                while (rs.next()) {
                    ScannedTable t = tables.get(rs.getLong(1));
                    if (rs.getBoolean(3)) {
                        t.leaves.add(rs.getLong(2));
                    }
                    if (rs.getInt(4) == 0) {
                        continue;
                    }
                    ObjectNode p = ((ArrayNode) t.node.get("partitions")).addObject();
                    p.put("schema", rs.getString(5));
                    p.put("name", rs.getString(6));
                    p.put("bound", rs.getString(7));
                    if (rs.getInt(4) > 1) {
                        p.put("parent", rs.getString(8)); // sub-partitioned: which partition it belongs to
                    }
                    p.put("rows_estimate", rs.getLong(9));
                    p.put("total_bytes", rs.getLong(10));
                }
            }
        }
    }

    private void columns(Map<Long, ScannedTable> tables) throws SQLException {
        for (ScannedTable t : tables.values()) {
            t.node.set("columns", InventoryJson.array());
        }
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.attrelid::int8, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod),
                       NOT a.attnotnull,
                       CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
                       CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                       (CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END)::int8
                  FROM pg_catalog.pg_attribute a
                  JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
                  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = ANY (""" + OIDS + ") AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 3")) {
            try (ResultSet rs = query(ps, tables)) {
                while (rs.next()) {
                    ScannedTable t = tables.get(rs.getLong(1));
                    ObjectNode col = ((ArrayNode) t.node.get("columns")).addObject();
                    col.put("name", rs.getString(2));
                    col.put("position", rs.getInt(3));
                    col.put("type", rs.getString(4));
                    col.put("nullable", rs.getBoolean(5));
                    col.put("default", rs.getString(6));
                    col.put("identity", rs.getString(7));
                    col.put("generated", rs.getString(8));
                    t.columns.add(new ScannedTable.Column(rs.getString(2), rs.getString(4),
                            ScannedTable.TypeFamily.of(rs.getLong(9))));
                }
            }
        }
    }

    private static final String COLUMN_NAMES = """
            ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(%1$s) WITH ORDINALITY k(num, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = %2$s AND a.attnum = k.num ORDER BY k.ord)""";

    private void constraints(Map<Long, ScannedTable> tables) throws SQLException {
        for (ScannedTable t : tables.values()) {
            t.node.set("primary_key", InventoryJson.array());
            t.node.set("unique_keys", InventoryJson.array());
            t.node.set("foreign_keys", InventoryJson.array());
        }
        // Unique indexes that back no constraint enforce uniqueness all the same, so they are unique keys too
        // (plain columns, not partial); conparentid = 0 skips the copies PostgreSQL makes on partitions.
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM ("
                + "SELECT con.conrelid::int8 AS rel, con.contype::text AS kind, con.conname AS name, "
                + COLUMN_NAMES.formatted("con.conkey", "con.conrelid") + " AS cols, rn.nspname AS ref_schema,"
                + " rc.relname AS ref_table, " + COLUMN_NAMES.formatted("con.confkey", "con.confrelid") + " AS ref_cols,"
                + " con.confdeltype::text AS on_delete"
                + " FROM pg_catalog.pg_constraint con"
                + " LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid"
                + " LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace"
                + " WHERE con.contype IN ('p', 'u', 'f') AND con.conparentid = 0 AND con.conrelid = ANY (" + OIDS + ")"
                + " UNION ALL "
                + "SELECT i.indrelid::int8, 'i', ic.relname, "
                + COLUMN_NAMES.formatted("i.indkey::int2[]", "i.indrelid") + ", NULL, NULL, NULL, NULL"
                + " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
                + " WHERE i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL AND i.indexprs IS NULL"
                + " AND i.indrelid = ANY (" + OIDS + ")"
                + " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid"
                + " AND k.contype IN ('p', 'u'))"
                + ") x ORDER BY rel, kind, name")) {
            ps.setArray(1, InstanceScanner.oids(c, tables.keySet()));
            ps.setArray(2, InstanceScanner.oids(c, tables.keySet()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ScannedTable t = tables.get(rs.getLong(1));
                    List<String> cols = InstanceScanner.textArray(rs.getArray(4));
                    switch (rs.getString(2)) {
                        case "p" -> {
                            t.primaryKey = cols;
                            t.node.set("primary_key", InventoryJson.strings(cols));
                        }
                        case "u", "i" -> ((ArrayNode) t.node.get("unique_keys")).add(InventoryJson.strings(cols));
                        default -> {
                            ObjectNode fk = ((ArrayNode) t.node.get("foreign_keys")).addObject();
                            fk.put("name", rs.getString(3));
                            fk.set("columns", InventoryJson.strings(cols));
                            fk.put("ref_schema", rs.getString(5));
                            fk.put("ref_table", rs.getString(6));
                            fk.set("ref_columns", InventoryJson.strings(InstanceScanner.textArray(rs.getArray(7))));
                            fk.put("on_delete", onDelete(rs.getString(8)));
                        }
                    }
                }
            }
        }
    }

    private static String onDelete(String code) {
        return switch (code == null ? "" : code) {
            case "c" -> "cascade";
            case "n" -> "set null";
            case "d" -> "set default";
            case "r" -> "restrict";
            default -> "no action";
        };
    }

    private void referencedBy(Map<Long, ScannedTable> tables) throws SQLException {
        for (ScannedTable t : tables.values()) {
            t.node.set("referenced_by", InventoryJson.array());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT con.confrelid::int8, n.nspname, rc.relname, "
                + COLUMN_NAMES.formatted("con.conkey", "con.conrelid")
                + " FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class rc ON rc.oid = con.conrelid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = rc.relnamespace"
                + " WHERE con.contype = 'f' AND con.conparentid = 0 AND con.confrelid = ANY (" + OIDS + ")"
                + " ORDER BY 1, 2, 3, con.conname")) {
            try (ResultSet rs = query(ps, tables)) {
                while (rs.next()) {
                    ObjectNode r = ((ArrayNode) tables.get(rs.getLong(1)).node.get("referenced_by")).addObject();
                    r.put("schema", rs.getString(2));
                    r.put("table", rs.getString(3));
                    r.set("columns", InventoryJson.strings(InstanceScanner.textArray(rs.getArray(4))));
                }
            }
        }
    }

    private void indexes(Map<Long, ScannedTable> tables) throws SQLException {
        for (ScannedTable t : tables.values()) {
            t.node.set("indexes", InventoryJson.array());
        }
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT i.indrelid::int8, ic.relname, i.indisunique, i.indisprimary,
                       pg_catalog.pg_get_indexdef(i.indexrelid), am.amname, i.indpred IS NOT NULL, i.indisvalid,
                       ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY k(num, ord)
                               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
                              WHERE k.ord <= i.indnkeyatts ORDER BY k.ord)
                  FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                  JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                 WHERE i.indrelid = ANY (""" + OIDS + ") ORDER BY 1, 2")) {
            try (ResultSet rs = query(ps, tables)) {
                while (rs.next()) {
                    ScannedTable t = tables.get(rs.getLong(1));
                    List<String> cols = InstanceScanner.textArray(rs.getArray(9));
                    ObjectNode ix = ((ArrayNode) t.node.get("indexes")).addObject();
                    ix.put("name", rs.getString(2));
                    ix.put("unique", rs.getBoolean(3));
                    ix.put("primary", rs.getBoolean(4));
                    ix.put("definition", rs.getString(5));
                    ix.put("method", rs.getString(6));
                    ArrayNode colNode = ix.putArray("columns"); // null for an expression
                    cols.forEach(colNode::add);
                    ix.put("partial", rs.getBoolean(7));
                    ix.put("valid", rs.getBoolean(8));
                    if (!rs.getBoolean(7) && rs.getBoolean(8)) {
                        t.indexes.add(new ScannedTable.Index(rs.getString(6), cols));
                    }
                }
            }
        }
    }

    private void triggers(Map<Long, ScannedTable> tables) throws SQLException {
        for (ScannedTable t : tables.values()) {
            t.node.set("triggers", InventoryJson.array());
        }
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT tg.tgrelid::int8, tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid), tg.tgenabled <> 'D'
                  FROM pg_catalog.pg_trigger tg
                 WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND tg.tgrelid = ANY (""" + OIDS + ") ORDER BY 1, 2")) {
            try (ResultSet rs = query(ps, tables)) {
                while (rs.next()) {
                    ObjectNode tg = ((ArrayNode) tables.get(rs.getLong(1)).node.get("triggers")).addObject();
                    tg.put("name", rs.getString(2));
                    tg.put("definition", rs.getString(3));
                    tg.put("enabled", rs.getBoolean(4));
                }
            }
        }
    }

    private void sizes(Map<Long, ScannedTable> tables) throws SQLException {
        // A partitioned table has no storage of its own: its size is the sum of its leaf partitions.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT root.oid::int8, pg_catalog.sum(GREATEST(lc.reltuples, 0))::int8,
                       pg_catalog.bool_and(lc.reltuples < 0),
                       pg_catalog.sum(pg_catalog.pg_table_size(lc.oid))::int8,
                       pg_catalog.sum(pg_catalog.pg_total_relation_size(lc.oid))::int8
                  FROM pg_catalog.pg_class root
                
                 """ + InstanceScanner.TREE + """
                  JOIN pg_catalog.pg_class lc ON lc.oid = t.relid
                 WHERE root.oid = ANY (""" + OIDS + ") AND t.isleaf GROUP BY 1")) {
            try (ResultSet rs = query(ps, tables)) {
                while (rs.next()) {
                    ObjectNode size = tables.get(rs.getLong(1)).node.putObject("size");
                    if (rs.getBoolean(3)) {
                        size.putNull("rows_estimate"); // never analyzed: no estimate
                    } else {
                        size.put("rows_estimate", rs.getLong(2));
                    }
                    size.putNull("rows_exact");
                    size.put("table_bytes", rs.getLong(4));
                    size.put("total_bytes", rs.getLong(5));
                }
            }
        }
        for (ScannedTable t : tables.values()) {
            if (!t.node.has("size")) { // partitioned with no partitions yet
                ObjectNode size = t.node.putObject("size");
                size.put("rows_estimate", 0);
                size.putNull("rows_exact");
                size.put("table_bytes", 0);
                size.put("total_bytes", 0);
            }
        }
    }

    static List<Long> allOids(Map<Long, ScannedTable> tables) {
        List<Long> out = new ArrayList<>(tables.keySet());
        tables.values().forEach(t -> out.addAll(t.leaves));
        return out;
    }
}
