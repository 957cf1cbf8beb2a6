package io.tributary.copy;

import io.tributary.catalog.CatalogReader.DomainType;
import io.tributary.catalog.CatalogReader.EnumType;
import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.logging.Logger;

/**
 * Creates a target table shaped like its source: same column order, types (via format_type), NOT NULL and
 * non-sequence defaults; enums and domains it needs; the primary key only after the data is in. A full
 * schema builder (foreign keys, indexes, sequences) belongs to the consolidation phase.
 */
public final class TargetTable {
    private static final Logger LOG = Logger.getLogger(TargetTable.class.getName());

    private TargetTable() {
    }

    static boolean exists(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = ? AND c.relname = ?""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The foreign keys of other tables that reference this one (or its partitions), as {@code table.constraint}:
     * PostgreSQL refuses to TRUNCATE a table they reference, whatever rows either side holds.
     */
    static List<String> referencedBy(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                WITH own AS (SELECT pg_catalog.to_regclass(?) AS relid  -- a plain table has no partition tree
                             UNION SELECT relid FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass(?)))
                SELECT n.nspname, c.relname, k.conname FROM pg_catalog.pg_constraint k
                  JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE k.contype = 'f' AND k.conparentid = 0 AND k.confrelid IN (SELECT relid FROM own)
                   AND k.conrelid NOT IN (SELECT relid FROM own)
                 ORDER BY 1, 2, 3""")) {
            ps.setString(1, table.quoted());
            ps.setString(2, table.quoted());
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableRef(rs.getString(1), rs.getString(2)) + "." + Identifiers.quote(rs.getString(3)));
                }
            }
            return out;
        }
    }

    static boolean partitioned(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT c.relkind = 'p' FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = ? AND c.relname = ?""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * {@code ONLY "s"."t"}, or {@code "s"."t"} for a partitioned table: the table's own rows, never its inheritance
     * children's (the rule of {@link io.tributary.catalog.TableShape#ownRowsOnly}), for counting, DELETE and TRUNCATE.
     */
    static String ownRows(Connection connection, TableRef table) throws SQLException {
        return (partitioned(connection, table) ? "" : "ONLY ") + table.quoted();
    }

    static long rowCount(Connection connection, TableRef table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + ownRows(connection, table))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Pages of the table now (of its largest partition if partitioned: ctid ranges apply per partition), for
     * splitting one read into page ranges.
     */
    static long pages(Connection connection, TableRef table) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT greatest(pg_catalog.pg_relation_size(?::regclass),"
                + " (SELECT coalesce(max(pg_catalog.pg_relation_size(p.relid)), 0)"
                + " FROM pg_catalog.pg_partition_tree(?::regclass) p)) / current_setting('block_size')::bigint")) {
            ps.setString(1, table.quoted());
            ps.setString(2, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Creates the target schema and the enums/domains the columns use, when absent. Runs in its own
     * committed transaction under an advisory lock: parallel workers share schemas and types, and two
     * concurrent CREATE TYPE of the same name would fail.
     */
    static void prepareSharedObjects(Connection target, TableRef targetTable, List<UserType> types)
            throws SQLException {
        boolean autoCommit = target.getAutoCommit();
        target.setAutoCommit(false);
        try (Statement st = target.createStatement()) {
            try (PreparedStatement lock = target.prepareStatement(
                    "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('tributary target ddl', 0))")) {
                lock.execute();
            }
            createSchemaIfAbsent(target, st, targetTable.schema());
            for (UserType type : types) {
                if (typeExists(target, type)) {
                    if (type instanceof EnumType e) {
                        addMissingLabels(st, target, e);
                    }
                    continue;
                }
                createSchemaIfAbsent(target, st, type.schema());
                String ddl = typeDdl(type);
                LOG.info("creating " + ddl);
                st.execute(ddl);
            }
            target.commit();
        } catch (SQLException | RuntimeException e) {
            target.rollback();
            throw e;
        } finally {
            target.setAutoCommit(autoCommit);
        }
    }

    /**
     * Adds output columns that neither the target table nor the source table has (columns a projection adds,
     * such as the merge's origin column), nullable. True when something was added.
     */
    static boolean addMissingColumns(Connection target, TableRef targetTable, TableShape targetShape,
            TableShape output, TableShape source) throws SQLException {
        boolean added = false;
        for (ColumnShape c : output.columns()) {
            if (targetShape.column(c.name()).isEmpty() && source.column(c.name()).isEmpty()) {
                try (Statement st = target.createStatement()) {
                    st.execute("ALTER TABLE " + targetTable.quoted() + " ADD COLUMN IF NOT EXISTS " + c.quotedName()
                            + " " + c.type());
                }
                LOG.info("added column " + c.name() + " (" + c.type() + ") to " + targetTable);
                added = true;
            }
        }
        return added;
    }

    /**
     * An enum that already exists gets the labels it lacks, in the source's order (instances of one
     * application drift: one adds a status the other does not have yet).
     */
    private static void addMissingLabels(Statement st, Connection target, EnumType type) throws SQLException {
        List<String> existing = new java.util.ArrayList<>();
        try (PreparedStatement ps = target.prepareStatement("""
                SELECT e.enumlabel FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid
                  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = ? AND t.typname = ? ORDER BY e.enumsortorder""")) {
            ps.setString(1, type.schema());
            ps.setString(2, type.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    existing.add(rs.getString(1));
                }
            }
        }
        String name = Identifiers.qualified(type.schema(), type.name());
        List<String> labels = type.labels();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            if (existing.contains(label)) {
                continue;
            }
            String position = i > 0 && existing.contains(labels.get(i - 1))
                    ? " AFTER " + Identifiers.literal(labels.get(i - 1))
                    : i + 1 < labels.size() && existing.contains(labels.get(i + 1))
                            ? " BEFORE " + Identifiers.literal(labels.get(i + 1)) : "";
            st.execute("ALTER TYPE " + name + " ADD VALUE IF NOT EXISTS " + Identifiers.literal(label) + position);
            LOG.info("enum " + name + ": added label " + label);
            existing.add(label);
        }
    }

    private static void createSchemaIfAbsent(Connection target, Statement st, String schema) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(
                "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema));
    }

    private static boolean typeExists(Connection target, UserType type) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("""
                SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                 WHERE n.nspname = ? AND t.typname = ?""")) {
            ps.setString(1, type.schema());
            ps.setString(2, type.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public static String typeDdl(UserType type) {
        String name = Identifiers.qualified(type.schema(), type.name());
        if (type instanceof EnumType e) {
            StringJoiner labels = new StringJoiner(", ", "(", ")");
            e.labels().forEach(l -> labels.add(Identifiers.literal(l)));
            return "CREATE TYPE " + name + " AS ENUM " + labels;
        }
        DomainType d = (DomainType) type;
        StringBuilder ddl = new StringBuilder("CREATE DOMAIN ").append(name).append(" AS ").append(d.baseType());
        if (d.defaultExpr() != null) {
            ddl.append(" DEFAULT ").append(d.defaultExpr());
        }
        if (d.notNull()) {
            ddl.append(" NOT NULL");
        }
        for (String check : d.checks()) {
            ddl.append(' ').append(check);
        }
        return ddl.toString();
    }

    /** CREATE TABLE without keys; columns in source order. */
    static String createTableDdl(TableRef target, TableShape source) {
        StringJoiner columns = new StringJoiner(",\n    ", " (\n    ", "\n)");
        for (ColumnShape c : source.columns()) {
            StringBuilder col = new StringBuilder(c.quotedName()).append(' ').append(c.type());
            if (c.notNull()) {
                col.append(" NOT NULL");
            }
            if (c.defaultExpr() != null) {
                col.append(" DEFAULT ").append(c.defaultExpr());
            }
            columns.add(col);
        }
        if (source.columns().isEmpty()) {
            return "CREATE TABLE " + target.quoted() + " ()";
        }
        return "CREATE TABLE " + target.quoted() + columns;
    }

    static void create(Connection target, TableRef targetTable, TableShape source) throws SQLException {
        String ddl = createTableDdl(targetTable, source);
        LOG.info("creating table " + targetTable + " (" + source.columns().size() + " columns)");
        try (Statement st = target.createStatement()) {
            st.execute(ddl);
        }
    }

    /**
     * Adds the primary key after the data: a unique index builds in one sort instead of per-row inserts,
     * then ADD CONSTRAINT ... USING INDEX makes it the key without a second scan.
     */
    /** maintenance_work_mem for the primary key's build: 5 M bigint keys sort in memory. */
    static final long INDEX_BUILD_MEMORY_BYTES = 256L * 1024 * 1024;

    static String addPrimaryKey(Connection target, TableRef targetTable, List<String> keyColumns) throws SQLException {
        String name = freeRelationName(target, targetTable.schema(), truncate(targetTable.name(), 58) + "_pkey");
        StringJoiner cols = new StringJoiner(", ");
        keyColumns.forEach(c -> cols.add(Identifiers.quote(c)));
        try (Statement st = target.createStatement()) {
            // The index build sorts every key: give it room to sort in memory (never less than the server's own).
            st.execute("SELECT pg_catalog.set_config('maintenance_work_mem', (GREATEST(pg_catalog.pg_size_bytes("
                    + "pg_catalog.current_setting('maintenance_work_mem')), " + INDEX_BUILD_MEMORY_BYTES
                    + ") / 1024)::text || 'kB', false)");
            try {
                st.execute("CREATE UNIQUE INDEX " + Identifiers.quote(name) + " ON " + targetTable.quoted() + " (" + cols
                        + ")");
                st.execute("ALTER TABLE " + targetTable.quoted() + " ADD CONSTRAINT " + Identifiers.quote(name)
                        + " PRIMARY KEY USING INDEX " + Identifiers.quote(name));
            } finally {
                st.execute("RESET maintenance_work_mem");
            }
        }
        return name;
    }

    private static String freeRelationName(Connection connection, String schema, String base) throws SQLException {
        String candidate = base;
        for (int i = 1; ; i++) {
            if (!exists(connection, new TableRef(schema, candidate))) {
                return candidate;
            }
            candidate = truncate(base, 60 - String.valueOf(i).length()) + "_" + i;
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
