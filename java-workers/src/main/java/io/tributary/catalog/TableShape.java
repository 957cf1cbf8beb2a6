package io.tributary.catalog;

import java.util.List;
import java.util.Optional;

/** A table's columns in ordinal order, and its primary key if it has one. */
public record TableShape(TableRef table, List<ColumnShape> columns, PrimaryKey primaryKey) {

    public record PrimaryKey(String constraintName, List<String> columns) {
    }

    public TableShape {
        columns = List.copyOf(columns);
    }

    public Optional<PrimaryKey> primaryKeyIfAny() {
        return Optional.ofNullable(primaryKey);
    }

    public Optional<ColumnShape> column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    public List<String> columnNames() {
        return columns.stream().map(ColumnShape::name).toList();
    }

    /** True when binary COPY is safe for every column (no database-local type OIDs on the wire). */
    public boolean binaryCopySafe() {
        return columns.stream().allMatch(ColumnShape::portableBinary);
    }
}
