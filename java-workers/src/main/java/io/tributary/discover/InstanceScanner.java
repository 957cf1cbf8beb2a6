package io.tributary.discover;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.TableRef;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Scans one instance into an inventory (docs/inventory-format.md) from the catalogs and statistics only.
 * Order matters: the usage counters are read before {@link TableProfiler} touches any table, because an
 * index probe bumps idx_scan and would make a never-read table look used.
 */
public final class InstanceScanner {
    private static final Logger LOG = Logger.getLogger(InstanceScanner.class.getName());

    /** Marks the scanner's own statements, so pg_stat_statements usage does not count them. */
    static final String MARKER = "/* tributary:discover */ ";

    private static final String SYSTEM_SCHEMAS =
            "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
                    + " AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

    private static String notExtensionMember(String classCatalog, String oid) {
        return " NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep WHERE dep.classid = '" + classCatalog
                + "'::pg_catalog.regclass AND dep.objid = " + oid + " AND dep.deptype = 'e')";
    }

    /**
     * The relations that hold a table's rows, lateral to {@code root}: the partition tree of a partitioned
     * table (pg_partition_tree), or the plain table itself (for which pg_partition_tree returns nothing).
     */
    static final String TREE = "CROSS JOIN LATERAL (SELECT p.relid, p.parentrelid, p.isleaf, p.level"
            + " FROM pg_catalog.pg_partition_tree(root.oid) p"
            + " UNION ALL SELECT root.oid, NULL::pg_catalog.regclass, true, 0 WHERE root.relkind = 'r') t";

    private final ConnectionFactory connections;
    private final RunSummary summary;

    public InstanceScanner(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    public Inventory scan(String connectionId, Inventory.Options options) {
        connections.uri(connectionId); // a missing variable is bad input before anything else
        try (Connection c = connections.open(connectionId)) {
            try (Statement st = c.createStatement()) {
                // Discovery never writes; the server enforces it.
                st.execute("SET default_transaction_read_only = on");
            }
            return scan(c, connectionId, options);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    private Inventory scan(Connection c, String instance, Inventory.Options options) throws SQLException {
        ObjectNode doc = InventoryJson.object();
        doc.put("format", Inventory.FORMAT);
        doc.put("instance", instance);
        List<String> schemas;
        Map<Long, ScannedTable> tables;
        int views;
        try (var step = summary.begin("catalog")) {
            header(c, doc);
            schemas = schemas(c, options.schemas(), options.excludeSchemas());
            doc.set("excluded_schemas", InventoryJson.strings(options.excludeSchemas()));
            doc.set("extensions", extensions(c));
            doc.set("schemas", InventoryJson.strings(schemas));
            doc.set("enums", enums(c, schemas));
            doc.set("domains", domains(c, schemas));
            doc.set("sequences", sequences(c, schemas));
            ArrayNode viewNodes = views(c, schemas);
            views = viewNodes.size();
            doc.set("views", viewNodes);
            tables = new TableCatalog(c).read(schemas);
            step.rows(tables.size());
        }
        try (var step = summary.begin("usage snapshot")) {
            new UsageSnapshot(c).read(tables, doc.path("extensions"));
        }
        try (var step = summary.begin("profile")) {
            new TableProfiler(c, options.exactCounts()).profile(tables.values());
        }
        ArrayNode tableNodes = InventoryJson.array();
        tables.values().forEach(t -> tableNodes.add(t.node));
        doc.set("tables", tableNodes);
        return new Inventory(doc, tables.size(), views);
    }

    private static void header(Connection c, ObjectNode doc) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT pg_catalog.current_database(),
                       pg_catalog.split_part(pg_catalog.current_setting('server_version'), ' ', 1),
                       pg_catalog.to_json(pg_catalog.date_trunc('second', pg_catalog.now()))#>>'{}',
                       (SELECT pg_catalog.to_json(d.stats_reset)#>>'{}' FROM pg_catalog.pg_stat_database d
                         WHERE d.datname = pg_catalog.current_database())""")) {
            rs.next();
            doc.put("database", rs.getString(1));
            doc.put("server_version", rs.getString(2));
            doc.put("scanned_at", rs.getString(3));
            doc.put("stats_reset", rs.getString(4));
        }
    }

    private static List<String> schemas(Connection c, List<String> only, List<String> excluded) throws SQLException {
        for (String control : ControlSchema.in(c)) {
            LOG.info("skipping " + control + ": a Tributary control schema, never migrated");
        }
        List<String> all = strings(c, "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE " + SYSTEM_SCHEMAS
                + " AND " + notExtensionMember("pg_catalog.pg_namespace", "n.oid")
                + " AND NOT " + ControlSchema.IS_CONTROL_SCHEMA + " ORDER BY 1");
        List<String> unknown = excluded.stream().filter(s -> !all.contains(s)).toList();
        if (!unknown.isEmpty()) { // harmless, but likely a typo that leaves the intended schema in
            LOG.warning("--exclude-schema: no schema " + String.join(", ", unknown) + " in this instance");
        }
        if (only.isEmpty()) {
            return all.stream().filter(s -> !excluded.contains(s)).toList();
        }
        List<String> missing = only.stream().filter(s -> !all.contains(s)).toList();
        if (!missing.isEmpty()) {
            throw JobFailure.badInput("--schemas: no such schema " + String.join(", ", missing)
                    + " (the instance has " + String.join(", ", all) + ")");
        }
        return all.stream().filter(only::contains).filter(s -> !excluded.contains(s)).toList();
    }

    private static ArrayNode extensions(Connection c) throws SQLException {
        ArrayNode out = InventoryJson.array();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT e.extname, e.extversion, n.nspname FROM pg_catalog.pg_extension e"
                        + " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace ORDER BY 1")) {
            while (rs.next()) {
                ObjectNode e = out.addObject();
                e.put("name", rs.getString(1));
                e.put("version", rs.getString(2));
                e.put("schema", rs.getString(3));
            }
        }
        return out;
    }

    private static ArrayNode enums(Connection c, List<String> schemas) throws SQLException {
        ArrayNode out = InventoryJson.array();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, t.typname,
                       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid
                              ORDER BY e.enumsortorder)
                  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 WHERE t.typtype = 'e' AND n.nspname = ANY (?) AND """ + notExtensionMember("pg_catalog.pg_type", "t.oid")
                + " ORDER BY 1, 2")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode e = out.addObject();
                    e.put("schema", rs.getString(1));
                    e.put("name", rs.getString(2));
                    e.set("labels", InventoryJson.strings(textArray(rs.getArray(3))));
                }
            }
        }
        return out;
    }

    private static ArrayNode domains(Connection c, List<String> schemas) throws SQLException {
        ArrayNode out = InventoryJson.array();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,
                       t.typdefault,
                       ARRAY(SELECT pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con
                              WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
                  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 WHERE t.typtype = 'd' AND n.nspname = ANY (?) AND """ + notExtensionMember("pg_catalog.pg_type", "t.oid")
                + " ORDER BY 1, 2")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode d = out.addObject();
                    d.put("schema", rs.getString(1));
                    d.put("name", rs.getString(2));
                    d.put("base_type", rs.getString(3));
                    d.put("not_null", rs.getBoolean(4));
                    d.put("default", rs.getString(5));
                    d.set("checks", InventoryJson.strings(textArray(rs.getArray(6))));
                }
            }
        }
        return out;
    }

    private static ArrayNode sequences(Connection c, List<String> schemas) throws SQLException {
        ArrayNode out = InventoryJson.array();
        // pg_sequences.last_value is NULL for a sequence never used (or not readable); it reads no table.
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT s.schemaname, s.sequencename, s.data_type::text, s.last_value,
                       (SELECT tn.nspname || '.' || tc.relname || '.' || a.attname
                          FROM pg_catalog.pg_depend d
                          JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
                          JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
                          JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                           AND d.deptype IN ('a', 'i') LIMIT 1) AS owned_by,
                       EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                  AND d.objid = c.oid AND d.deptype = 'i') AS identity
                  FROM pg_catalog.pg_sequences s
                  JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
                  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
                 WHERE s.schemaname = ANY (?) AND """ + notExtensionMember("pg_catalog.pg_class", "c.oid")
                + " ORDER BY 1, 2")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode s = out.addObject();
                    s.put("schema", rs.getString(1));
                    s.put("name", rs.getString(2));
                    s.put("data_type", rs.getString(3));
                    long last = rs.getLong(4);
                    if (rs.wasNull()) {
                        s.putNull("last_value");
                    } else {
                        s.put("last_value", last);
                    }
                    s.put("owned_by", rs.getString(5));
                    s.put("identity", rs.getBoolean(6));
                }
            }
        }
        return out;
    }

    private static ArrayNode views(Connection c, List<String> schemas) throws SQLException {
        ArrayNode out = InventoryJson.array();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, c.relkind = 'm', pg_catalog.pg_get_viewdef(c.oid, true),
                       c.relispopulated, pg_catalog.pg_total_relation_size(c.oid),
                       pg_catalog.obj_description(c.oid, 'pg_class')
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY (?) AND """
                + notExtensionMember("pg_catalog.pg_class", "c.oid") + " ORDER BY 1, 2")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode v = out.addObject();
                    v.put("schema", rs.getString(1));
                    v.put("name", rs.getString(2));
                    boolean materialized = rs.getBoolean(3);
                    v.put("materialized", materialized);
                    v.put("definition", rs.getString(4));
                    if (materialized) {
                        v.put("populated", rs.getBoolean(5));
                        v.put("total_bytes", rs.getLong(6));
                    }
                    v.put("comment", rs.getString(7));
                }
            }
        }
        return out;
    }

    static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static List<String> textArray(Array array) throws SQLException {
        if (array == null) {
            return List.of();
        }
        return new ArrayList<>(Arrays.asList((String[]) array.getArray()));
    }

    static Array oids(Connection c, java.util.Collection<Long> oids) throws SQLException {
        return c.createArrayOf("int8", oids.toArray());
    }

    static TableRef ref(String schema, String name) {
        return new TableRef(schema, name);
    }

    static Map<Long, ScannedTable> index(List<ScannedTable> tables) {
        Map<Long, ScannedTable> out = new LinkedHashMap<>();
        tables.forEach(t -> out.put(t.oid, t));
        return out;
    }

    static Logger log() {
        return LOG;
    }
}
