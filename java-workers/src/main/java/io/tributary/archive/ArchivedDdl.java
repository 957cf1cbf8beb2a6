package io.tributary.archive;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.copy.TargetTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A table's DDL as the source catalog had it at archive time, kept in the catalog so a restore can rebuild
 * the table anywhere: the enums/domains it uses, the columns, and its constraints and indexes (as
 * {@code pg_get_constraintdef} / {@code pg_get_indexdef} render them). {@link #original} is the whole
 * script for people; the parts are what {@link #createStatements}/{@link #postDataStatements} replay
 * under another name (constraint and index names are left to PostgreSQL there, so they never clash).
 *
 * @param types       the enums and domains the columns use, dependencies first
 * @param createTable CREATE TABLE of the source name: columns, types, NOT NULL, defaults
 * @param constraints {@code [name, definition, contype]} of every table constraint
 * @param indexes     {@code pg_get_indexdef} of indexes that do not back a constraint
 * @param comments    COMMENT ON statements
 */
public record ArchivedDdl(List<TypeDdl> types, String createTable, List<Constraint> constraints, List<String> indexes,
        List<String> comments, String original) {

    /** An enum or domain: where it lives and the statement that creates it. */
    public record TypeDdl(String schema, String name, String statement) {
    }

    /** One table constraint; {@code kind} is pg_constraint.contype (p, u, c, f, x). */
    public record Constraint(String name, String kind, String definition) {
    }

    private static final String CONSTRAINTS = """
            SELECT conname, contype::text, pg_catalog.pg_get_constraintdef(oid)
              FROM pg_catalog.pg_constraint
             WHERE conrelid = ?::regclass AND contype IN ('p', 'u', 'c', 'f', 'x')
             ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'c' THEN 2 WHEN 'x' THEN 3 ELSE 4 END, conname
            """;
    private static final String INDEXES = """
            SELECT pg_catalog.pg_get_indexdef(i.indexrelid)
              FROM pg_catalog.pg_index i
             WHERE i.indrelid = ?::regclass
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY i.indexrelid
            """;
    private static final String COMMENTS = """
            SELECT NULL::text AS col, pg_catalog.obj_description(?::regclass, 'pg_class')
            UNION ALL
            SELECT a.attname, pg_catalog.col_description(a.attrelid, a.attnum)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped
            """;

    /** Reads the DDL in the caller's transaction (the archive's snapshot). */
    public static ArchivedDdl capture(Connection connection, TableShape shape) throws SQLException {
        TableRef table = shape.table();
        List<TypeDdl> types = new ArrayList<>();
        for (UserType t : new CatalogReader().userTypes(connection, shape)) {
            types.add(new TypeDdl(t.schema(), t.name(), TargetTable.typeDdl(t)));
        }
        String create = createTable(table, shape.columns());
        List<Constraint> constraints = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(CONSTRAINTS)) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    constraints.add(new Constraint(rs.getString(1), rs.getString(2), rs.getString(3)));
                }
            }
        }
        List<String> indexes = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(INDEXES)) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    indexes.add(rs.getString(1));
                }
            }
        }
        List<String> comments = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(COMMENTS)) {
            ps.setString(1, table.quoted());
            ps.setString(2, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String column = rs.getString(1);
                    String text = rs.getString(2);
                    if (text != null) {
                        comments.add("COMMENT ON " + (column == null ? "TABLE " + table.quoted()
                                : "COLUMN " + table.quoted() + "." + Identifiers.quote(column))
                                + " IS " + Identifiers.literal(text));
                    }
                }
            }
        }
        StringBuilder original = new StringBuilder();
        types.forEach(t -> original.append(t.statement()).append(";\n"));
        original.append(create).append(";\n");
        constraints.forEach(c -> original.append("ALTER TABLE ").append(table.quoted()).append(" ADD CONSTRAINT ")
                .append(Identifiers.quote(c.name())).append(' ').append(c.definition()).append(";\n"));
        indexes.forEach(i -> original.append(i).append(";\n"));
        comments.forEach(c -> original.append(c).append(";\n"));
        return new ArchivedDdl(types, create, constraints, indexes, comments, original.toString());
    }

    /** CREATE TABLE of the archived columns under another name, without keys or indexes. */
    public String createTableAs(TableRef source, TableRef target) {
        String head = "CREATE TABLE " + source.quoted();
        if (!createTable.startsWith(head)) {
            throw new IllegalStateException("archived DDL does not create " + source + ": " + createTable);
        }
        return "CREATE TABLE " + target.quoted() + createTable.substring(head.length());
    }

    /**
     * Keys, checks and indexes for {@code target}, added after the data is in (one sort instead of per-row
     * maintenance). Foreign keys are not replayed: the tables they reference need not exist where an archive is
     * restored; {@link #skippedOnRestore} lists them.
     */
    @JsonIgnore
    public List<String> postDataStatements(TableRef target) {
        List<String> out = new ArrayList<>();
        for (Constraint c : constraints) {
            if (!"f".equals(c.kind())) {
                out.add("ALTER TABLE " + target.quoted() + " ADD " + c.definition());
            }
        }
        for (String index : indexes) {
            int using = index.indexOf(" USING ");
            if (using < 0) {
                continue;
            }
            boolean unique = index.startsWith("CREATE UNIQUE INDEX");
            out.add("CREATE " + (unique ? "UNIQUE " : "") + "INDEX ON " + target.quoted() + index.substring(using));
        }
        return out;
    }

    /** What a restore does not recreate, in words (reported in its result). */
    @JsonIgnore
    public List<String> skippedOnRestore() {
        return constraints.stream().filter(c -> "f".equals(c.kind()))
                .map(c -> "foreign key " + c.name() + " " + c.definition()).toList();
    }

    static String createTable(TableRef table, List<ColumnShape> columns) {
        if (columns.isEmpty()) {
            return "CREATE TABLE " + table.quoted() + " ()";
        }
        StringJoiner cols = new StringJoiner(",\n    ", " (\n    ", "\n)");
        for (ColumnShape c : columns) {
            StringBuilder col = new StringBuilder(c.quotedName()).append(' ').append(c.type());
            if (c.notNull()) {
                col.append(" NOT NULL");
            }
            if (c.defaultExpr() != null) {
                col.append(" DEFAULT ").append(c.defaultExpr());
            }
            cols.add(col);
        }
        return "CREATE TABLE " + table.quoted() + cols;
    }
}
