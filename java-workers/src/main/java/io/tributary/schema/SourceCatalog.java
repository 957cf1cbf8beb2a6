package io.tributary.schema;

import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the schema builder needs from one source instance's catalog, read with the factory's empty
 * search_path so every expression comes back schema-qualified and replays on another database.
 */
final class SourceCatalog {
    final String source;
    final Map<TableRef, Table> tables = new LinkedHashMap<>();
    final List<Sequence> sequences = new ArrayList<>();
    final List<Routine> routines = new ArrayList<>();
    final List<View> views = new ArrayList<>();

    record Column(String name, String type, boolean notNull, String defaultExpr, String identity, String generated,
            long typeOid) {
    }

    /** A plain, partitioned or partition table; {@code parent}/{@code bound} only for partitions. */
    record Table(long oid, TableRef ref, char kind, List<Column> columns, String partitionKey, TableRef parent,
            String bound, List<Named> checks, List<Index> indexes, List<Named> foreignKeys, List<Named> triggers,
            List<TableRef> references) {
        boolean partitioned() {
            return kind == 'p';
        }
    }

    record Named(String name, String definition) {
    }

    /** An index; {@code constraint}/{@code constraintType} when it backs a primary key, unique or exclusion constraint. */
    record Index(String name, String definition, String constraint, char constraintType, String constraintDef) {
    }

    record Sequence(TableRef ref, String type, long start, long increment, long min, long max, long cache,
            boolean cycle, Long lastValue) {
    }

    /** A function, procedure or aggregate, with its CREATE statement. */
    /** A function, procedure or aggregate; {@code rowTypes}: the tables and views whose row type its signature uses. */
    record Routine(String schema, String name, String argumentTypes, char kind, String definition,
                   List<TableRef> rowTypes) {
        String signature() {
            return Identifiers.qualified(schema, name) + "(" + argumentTypes + ")";
        }
    }

    /** A view or materialized view; {@code reads}: the tables and views its query reads. */
    record View(TableRef ref, char kind, String definition, List<Index> indexes, List<TableRef> reads) {
    }

    SourceCatalog(String source) {
        this.source = source;
    }

    /** Reads the given schemas whole (tables, sequences, routines, views), or only the listed tables. */
    static SourceCatalog read(Connection c, String source, List<String> schemas, List<TableRef> onlyTables)
            throws SQLException {
        SourceCatalog cat = new SourceCatalog(source);
        List<Long> oids = new ArrayList<>();
        String sql = """
                SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                       WHERE d.objid = c.oid AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'e')
                   AND (n.nspname = ANY (?) OR c.oid IN (SELECT p.relid FROM unnest(?::text[]) t,
                        LATERAL pg_catalog.pg_partition_tree(pg_catalog.to_regclass(t)) p))
                 ORDER BY c.relispartition, n.nspname, c.relname""";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            ps.setArray(2, c.createArrayOf("text", onlyTables.stream().map(TableRef::quoted).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    oids.add(rs.getLong(1));
                }
            }
        }
        // Plain tables listed explicitly are not in pg_partition_tree's answer on PostgreSQL 15.
        for (TableRef t : onlyTables) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_catalog.to_regclass(?)::oid")) {
                ps.setString(1, t.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getObject(1) != null && !oids.contains(rs.getLong(1))) {
                        oids.add(rs.getLong(1));
                    }
                }
            }
        }
        for (long oid : oids) {
            Table t = table(c, oid);
            cat.tables.put(t.ref(), t);
        }
        cat.sequences.addAll(sequences(c, schemas, cat));
        if (!schemas.isEmpty()) {
            cat.routines.addAll(routines(c, schemas));
            cat.views.addAll(views(c, schemas));
        } else if (!onlyTables.isEmpty()) {
            // Listed tables bring their schemas' functions (triggers and defaults call them) and views; a view
            // reading a table that is not built here is left out by post-data, which says so.
            List<String> own = onlyTables.stream().map(TableRef::schema).distinct().toList();
            cat.routines.addAll(routines(c, own));
            cat.views.addAll(views(c, own));
        }
        return cat;
    }

    /** Every table of the instance (plain, partitioned, partitions, inheritance children), extensions' aside. */
    static Set<TableRef> allTables(Connection c) throws SQLException {
        Set<TableRef> out = new LinkedHashSet<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid
                       AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'e')""");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new TableRef(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    private static Table table(Connection c, long oid) throws SQLException {
        TableRef ref;
        char kind;
        String partKey;
        TableRef parent = null;
        String bound;
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, c.relkind, pg_catalog.pg_get_partkeydef(c.oid),
                       pn.nspname, pc.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_catalog.pg_inherits h ON h.inhrelid = c.oid AND c.relispartition
                  LEFT JOIN pg_catalog.pg_class pc ON pc.oid = h.inhparent
                  LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                 WHERE c.oid = ?""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                ref = new TableRef(rs.getString(1), rs.getString(2));
                kind = rs.getString(3).charAt(0);
                partKey = rs.getString(4);
                if (rs.getString(5) != null) {
                    parent = new TableRef(rs.getString(5), rs.getString(6));
                }
                bound = rs.getString(7);
            }
        }
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                       pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.atttypid::int8
                  FROM pg_catalog.pg_attribute a
                  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4),
                            rs.getString(5), rs.getString(6), rs.getLong(7)));
                }
            }
        }
        List<Named> checks = named(c, "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint"
                + " WHERE conrelid = ? AND contype = 'c' AND conislocal ORDER BY conname", oid);
        List<Named> fks = named(c, "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint"
                + " WHERE conrelid = ? AND contype = 'f' AND conparentid = 0 ORDER BY conname", oid);
        List<Named> triggers = named(c, "SELECT tgname, pg_catalog.pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger"
                + " WHERE tgrelid = ? AND NOT tgisinternal AND tgparentid = 0 ORDER BY tgname", oid);
        List<TableRef> references = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT DISTINCT n.nspname, r.relname FROM pg_catalog.pg_constraint k
                  JOIN pg_catalog.pg_class r ON r.oid = k.confrelid JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
                 WHERE k.conrelid = ? AND k.contype = 'f' AND k.conparentid = 0""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    references.add(new TableRef(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return new Table(oid, ref, kind, columns, partKey, parent, bound, checks, indexes(c, oid), fks, triggers,
                references);
    }

    /** Indexes of a relation, except those attached to a partitioned parent's index (the parent's creates them). */
    private static List<Index> indexes(Connection c, long oid) throws SQLException {
        List<Index> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), k.conname, k.contype,
                       pg_catalog.pg_get_constraintdef(k.oid)
                  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                  LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                       AND k.contype IN ('p', 'u', 'x')
                 WHERE i.indrelid = ?
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
                 ORDER BY ic.relname""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String type = rs.getString(4);
                    out.add(new Index(rs.getString(1), rs.getString(2), rs.getString(3),
                            type == null ? ' ' : type.charAt(0), rs.getString(5)));
                }
            }
        }
        return out;
    }

    private static List<Named> named(Connection c, String sql, long oid) throws SQLException {
        List<Named> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Named(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** Sequences of the schemas, plus those the selected tables' defaults draw from; not identity sequences. */
    private static List<Sequence> sequences(Connection c, List<String> schemas, SourceCatalog cat) throws SQLException {
        List<String> fromDefaults = new ArrayList<>();
        for (Table t : cat.tables.values()) {
            for (Column col : t.columns()) {
                String seq = SchemaBuilder.sequenceOfDefault(col.defaultExpr());
                if (seq != null) {
                    fromDefaults.add(seq);
                }
            }
        }
        List<Sequence> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
                       s.seqmin, s.seqmax, s.seqcache, s.seqcycle, ps.last_value
                  FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_catalog.pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname
                 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid
                                    AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('i', 'e'))
                   AND (n.nspname = ANY (?) OR c.oid = ANY (SELECT pg_catalog.to_regclass(x)::oid FROM unnest(?::text[]) x))
                 ORDER BY 1, 2""")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            ps.setArray(2, c.createArrayOf("text", fromDefaults.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Sequence(new TableRef(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getLong(4),
                            rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getBoolean(9),
                            (Long) rs.getObject(10)));
                }
            }
        }
        return out;
    }

    private static List<Routine> routines(Connection c, List<String> schemas) throws SQLException {
        List<Routine> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes), p.prokind,
                       CASE WHEN p.prokind = 'a' THEN
                            'CREATE AGGREGATE ' || pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(p.proname)
                            || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ') (SFUNC = '
                            || a.aggtransfn::regproc::text || ', STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL)
                            || CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::regproc::text ELSE '' END
                            || CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::regproc::text ELSE '' END
                            || CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || pg_catalog.quote_literal(a.agginitval) ELSE '' END
                            || ')'
                       ELSE pg_catalog.pg_get_functiondef(p.oid) END,
                       ARRAY(SELECT ARRAY[rn.nspname::text, rc.relname::text]
                               FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_type t ON t.oid = d.refobjid
                               LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
                               JOIN pg_catalog.pg_class rc ON rc.oid = COALESCE(NULLIF(t.typrelid, 0), e.typrelid)
                               JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
                              WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                                AND d.refclassid = 'pg_catalog.pg_type'::regclass
                              ORDER BY 1)
                  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                  LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
                 WHERE n.nspname = ANY (?) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = p.oid
                       AND d.classid = 'pg_catalog.pg_proc'::regclass AND d.deptype = 'e')
                 ORDER BY p.prokind = 'a', 1, 2, 3""")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<TableRef> rowTypes = new ArrayList<>();
                    for (Object pair : (Object[]) rs.getArray(6).getArray()) { // text[][]: {schema, name} pairs
                        rowTypes.add(new TableRef(((String[]) pair)[0], ((String[]) pair)[1]));
                    }
                    out.add(new Routine(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4).charAt(0),
                            rs.getString(5), rowTypes));
                }
            }
        }
        return out;
    }

    private static List<View> views(Connection c, List<String> schemas) throws SQLException {
        List<View> out = new ArrayList<>();
        List<Long> oids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT c.oid, n.nspname, c.relname, c.relkind, pg_catalog.pg_get_viewdef(c.oid)
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY (?)
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = c.oid
                       AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'e')
                 ORDER BY c.oid""")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    oids.add(rs.getLong(1));
                    out.add(new View(new TableRef(rs.getString(2), rs.getString(3)), rs.getString(4).charAt(0),
                            rs.getString(5), List.of(), List.of()));
                }
            }
        }
        List<View> withIndexes = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            View v = out.get(i);
            withIndexes.add(new View(v.ref(), v.kind(), v.definition(),
                    v.kind() == 'm' ? indexes(c, oids.get(i)) : List.of(), reads(c, oids.get(i))));
        }
        return withIndexes;
    }

    /** The relations a view's query reads (through its rewrite rule's dependencies). */
    private static List<TableRef> reads(Connection c, long viewOid) throws SQLException {
        List<TableRef> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT DISTINCT rn.nspname, rc.relname
                  FROM pg_catalog.pg_rewrite r
                  JOIN pg_catalog.pg_depend d ON d.objid = r.oid AND d.classid = 'pg_catalog.pg_rewrite'::regclass
                       AND d.refclassid = 'pg_catalog.pg_class'::regclass
                  JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid
                  JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
                 WHERE r.ev_class = ? AND d.refobjid <> r.ev_class AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')
                 ORDER BY 1, 2""")) {
            ps.setLong(1, viewOid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableRef(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }
}
