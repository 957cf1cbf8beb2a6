package io.tributary.catalog;

import io.tributary.catalog.ColumnShape.CanonicalForm;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a table's shape from pg_catalog. Connections from the factory run with an empty search_path, so
 * {@code format_type} and {@code pg_get_expr} come back schema-qualified and can be replayed on another
 * database.
 */
public final class CatalogReader {
    private static final long NUMERIC = 1700;
    private static final long JSON = 114;
    private static final long MONEY = 790;
    /** OIDs below this are built-in and identical on every PostgreSQL server. */
    private static final long FIRST_NORMAL_OID = 16384;

    private static final String FIND_TABLE = """
            SELECT c.oid, c.relkind
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """;

    private static final String COLUMNS = """
            SELECT a.attname,
                   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
                   a.attnotnull,
                   CASE WHEN a.attidentity = '' AND a.attgenerated = ''
                        THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS default_expr,
                   a.atttypid::int8 AS type_oid,
                   a.attgenerated = 's' AS generated,
                   base.base_oid::int8 AS base_oid,
                   bt.typtype AS base_typtype,
                   bt.typcategory AS base_category,
                   bt.typelem::int8 AS base_elem,
                   et.typtype AS elem_typtype
              FROM pg_catalog.pg_attribute a
              JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              -- domains (possibly over domains) are rendered like their base type
              CROSS JOIN LATERAL (
                   WITH RECURSIVE chain AS (
                        SELECT t.oid AS oid, t.typtype, t.typbasetype, 0 AS depth
                        UNION ALL
                        SELECT b.oid, b.typtype, b.typbasetype, chain.depth + 1
                          FROM chain JOIN pg_catalog.pg_type b ON b.oid = chain.typbasetype
                         WHERE chain.typtype = 'd')
                   SELECT chain.oid AS base_oid FROM chain ORDER BY depth DESC LIMIT 1) base
              JOIN pg_catalog.pg_type bt ON bt.oid = base.base_oid
              LEFT JOIN pg_catalog.pg_type et ON et.oid = bt.typelem
              LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum
            """;

    private static final String PRIMARY_KEY = """
            SELECT con.conname, array_agg(a.attname ORDER BY k.ord) AS columns
              FROM pg_catalog.pg_constraint con
             CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             WHERE con.conrelid = ? AND con.contype = 'p'
             GROUP BY con.conname
            """;

    /** The table's shape, or empty when no such table (or view) exists. */
    public Optional<TableShape> read(Connection connection, TableRef table) throws SQLException {
        Long oid = null;
        String relkind = null;
        try (PreparedStatement ps = connection.prepareStatement(FIND_TABLE)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    oid = rs.getLong(1);
                    relkind = rs.getString(2);
                }
            }
        }
        if (oid == null) {
            return Optional.empty();
        }
        List<ColumnShape> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(COLUMNS)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(column(rs));
                }
            }
        }
        TableShape.PrimaryKey pk = null;
        try (PreparedStatement ps = connection.prepareStatement(PRIMARY_KEY)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    Array names = rs.getArray(2);
                    pk = new TableShape.PrimaryKey(rs.getString(1), List.of((String[]) names.getArray()));
                }
            }
        }
        // Plain and foreign tables are read with ONLY (their inheritance children are tables of their own), a
        // partitioned table through its partitions: see TableShape#ownRowsOnly.
        boolean ownRowsOnly = "r".equals(relkind) || "f".equals(relkind);
        return Optional.of(new TableShape(table, columns, pk, ownRowsOnly));
    }

    private static ColumnShape column(ResultSet rs) throws SQLException {
        long base = rs.getLong("base_oid");
        CanonicalForm form = base == NUMERIC ? CanonicalForm.NUMERIC
                : base == JSON ? CanonicalForm.JSON
                : base == MONEY ? CanonicalForm.MONEY
                : "A".equals(rs.getString("base_category")) && rs.getLong("base_elem") == NUMERIC
                        ? CanonicalForm.NUMERIC_ARRAY
                : CanonicalForm.TEXT;
        String defaultExpr = rs.getString("default_expr");
        if (defaultExpr != null && defaultExpr.contains("nextval(")) {
            defaultExpr = null; // serial columns: the sequence belongs to the source database
        }
        boolean composite = "c".equals(rs.getString("base_typtype"));
        boolean array = "A".equals(rs.getString("base_category")) && rs.getLong("base_elem") != 0;
        boolean localArray = array && (rs.getLong("base_elem") >= FIRST_NORMAL_OID || "c".equals(rs.getString("elem_typtype")));
        return new ColumnShape(
                rs.getString("attname"),
                rs.getString("type"),
                form,
                rs.getBoolean("attnotnull"),
                defaultExpr,
                !composite && !localArray,
                rs.getLong("type_oid"),
                rs.getBoolean("generated"));
    }

    /** An enum or domain a table's columns use, to be recreated on a target that lacks it. */
    public sealed interface UserType permits EnumType, DomainType {
        String schema();

        String name();
    }

    public record EnumType(String schema, String name, List<String> labels) implements UserType {
    }

    public record DomainType(String schema, String name, String baseType, boolean notNull, String defaultExpr,
            List<String> checks) implements UserType {
    }

    private static final String USER_TYPE = """
            SELECT n.nspname, t.typname, t.typtype, t.typelem::int8, t.typbasetype::int8,
                   pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base_type,
                   t.typnotnull, t.typdefault, t.typcategory
              FROM pg_catalog.pg_type t
              JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
             WHERE t.oid = ?
            """;

    /**
     * The user-defined enums and domains the columns depend on, dependencies first (a domain's base type
     * before the domain). Built-in and extension types are not listed.
     */
    public List<UserType> userTypes(Connection connection, TableShape shape) throws SQLException {
        Map<Long, UserType> ordered = new LinkedHashMap<>();
        for (ColumnShape c : shape.columns()) {
            collect(connection, c.typeOid(), ordered);
        }
        return new ArrayList<>(ordered.values());
    }

    private void collect(Connection connection, long oid, Map<Long, UserType> out) throws SQLException {
        if (oid < FIRST_NORMAL_OID || out.containsKey(oid)) {
            return;
        }
        String schema;
        String name;
        String typtype;
        long elem;
        long base;
        String baseType;
        boolean notNull;
        String defaultExpr;
        String category;
        try (PreparedStatement ps = connection.prepareStatement(USER_TYPE)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                schema = rs.getString(1);
                name = rs.getString(2);
                typtype = rs.getString(3);
                elem = rs.getLong(4);
                base = rs.getLong(5);
                baseType = rs.getString(6);
                notNull = rs.getBoolean(7);
                defaultExpr = rs.getString(8);
                category = rs.getString(9);
            }
        }
        if ("A".equals(category) && elem != 0) {
            collect(connection, elem, out); // an array type comes with its element type
            return;
        }
        switch (typtype) {
            case "e" -> out.put(oid, new EnumType(schema, name, enumLabels(connection, oid)));
            case "d" -> {
                collect(connection, base, out);
                out.put(oid, new DomainType(schema, name, baseType, notNull, defaultExpr, domainChecks(connection, oid)));
            }
            default -> {
                // composite, range and extension types: left to the schema builder of a later phase
            }
        }
    }

    private static List<String> enumLabels(Connection connection, long oid) throws SQLException {
        List<String> labels = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = ? ORDER BY enumsortorder")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    labels.add(rs.getString(1));
                }
            }
        }
        return labels;
    }

    private static List<String> domainChecks(Connection connection, long oid) throws SQLException {
        List<String> checks = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint
                 WHERE contypid = ? AND contype = 'c' ORDER BY conname""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    checks.add(rs.getString(1));
                }
            }
        }
        return checks;
    }
}
