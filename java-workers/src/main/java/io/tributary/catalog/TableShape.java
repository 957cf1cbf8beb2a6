package io.tributary.catalog;

import java.util.List;
import java.util.Optional;

/**
 * A table's columns in ordinal order, its primary key if it has one, and how its own rows are read.
 *
 * @param ownRowsOnly read with {@code FROM ONLY}: true for a plain or foreign table of PostgreSQL. Why: without
 *                    ONLY, a SELECT on an inheritance parent also returns every child's rows, so the parent's copy
 *                    would duplicate its children's rows on the target while both checksums, running over that same
 *                    SELECT, agree. Each child is a table of its own, copied and verified by its own job. A
 *                    partitioned table (relkind {@code p}) is the exception: it has no rows of its own, it IS its
 *                    partitions (discovery inventories it as one logical table, its partitions are not copied
 *                    separately), so it is read through them, without ONLY (which would read nothing). A partition
 *                    copied on its own is a plain table and reads only its rows. Views and shapes from other
 *                    databases (Redshift's information_schema) are read as they are.
 */
public record TableShape(TableRef table, List<ColumnShape> columns, PrimaryKey primaryKey, boolean ownRowsOnly) {

    public record PrimaryKey(String constraintName, List<String> columns) {
    }

    public TableShape {
        columns = List.copyOf(columns);
    }

    /** A shape read as a whole (hand-built shapes, views, other databases). */
    public TableShape(TableRef table, List<ColumnShape> columns, PrimaryKey primaryKey) {
        this(table, columns, primaryKey, false);
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

    /** What every read of this table's rows puts after FROM: {@code ONLY "s"."t"} or {@code "s"."t"}. */
    public String readFrom() {
        return (ownRowsOnly ? "ONLY " : "") + table.quoted();
    }

    /** True when binary COPY is safe for every column (no database-local type OIDs on the wire). */
    public boolean binaryCopySafe() {
        return columns.stream().allMatch(ColumnShape::portableBinary);
    }
}
