package io.tributary.verify;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.ColumnShape.CanonicalForm;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A table's columns from {@code information_schema.columns}: what the portable checksum needs on a database whose
 * pg_catalog is not PostgreSQL's (Redshift has no LATERAL, no recursive CTEs in catalog queries, no domains). The
 * portable hash chooses each column's rendering by {@code data_type} alone.
 */
public final class InformationSchemaShape {
    private static final String COLUMNS = """
            SELECT column_name, data_type, is_nullable
              FROM information_schema.columns
             WHERE table_schema = ? AND table_name = ?
             ORDER BY ordinal_position
            """;

    private InformationSchemaShape() {
    }

    public static Optional<TableShape> read(Connection connection, TableRef table) throws SQLException {
        List<ColumnShape> columns = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(COLUMNS)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String type = rs.getString("data_type");
                    columns.add(new ColumnShape(rs.getString("column_name"), type, CanonicalForm.TEXT,
                            "NO".equals(rs.getString("is_nullable")), null, true, 0));
                }
            }
        }
        return columns.isEmpty() ? Optional.empty() : Optional.of(new TableShape(table, columns, null));
    }
}
