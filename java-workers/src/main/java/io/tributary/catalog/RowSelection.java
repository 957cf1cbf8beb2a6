package io.tributary.catalog;

import io.tributary.result.JobFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SELECT that feeds a copy: which columns, in target-shape order, from which table, within which key
 * range. The copy streams exactly this SELECT and the checksum hashes exactly this SELECT, so both sides
 * of a verification talk about the same rows.
 */
public final class RowSelection {
    private final TableRef table;
    private final List<ColumnShape> columns;
    private final KeyRange range;
    private final ColumnShape rangeColumn;

    private RowSelection(TableRef table, List<ColumnShape> columns, KeyRange range, ColumnShape rangeColumn) {
        this.table = table;
        this.columns = List.copyOf(columns);
        this.range = range;
        this.rangeColumn = rangeColumn;
    }

    /** All columns in ordinal order. */
    public static RowSelection of(TableShape shape, KeyRange range) {
        return of(shape, null, range, "table " + shape.table());
    }

    /**
     * The named columns in the given order (the target shape); null means all columns in ordinal order.
     * A name the table lacks is bad input.
     */
    public static RowSelection of(TableShape shape, List<String> columnOrder, KeyRange range, String where) {
        List<ColumnShape> cols = new ArrayList<>();
        if (columnOrder == null) {
            cols.addAll(shape.columns());
        } else {
            for (String name : columnOrder) {
                cols.add(shape.column(name).orElseThrow(() -> JobFailure.badInput(
                        "column " + name + " does not exist in " + where)));
            }
        }
        ColumnShape rangeColumn = null;
        if (range != null) {
            rangeColumn = shape.column(range.column()).orElseThrow(() -> JobFailure.badInput(
                    "key column " + range.column() + " does not exist in " + where));
        }
        return new RowSelection(shape.table(), cols, range, rangeColumn);
    }

    public TableRef table() {
        return table;
    }

    public List<ColumnShape> columns() {
        return columns;
    }

    public KeyRange range() {
        return range;
    }

    public String columnList() {
        return columns.stream().map(ColumnShape::quotedName).collect(Collectors.joining(", "));
    }

    public String selectSql() {
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(columns.isEmpty() ? "" : columnList())
                .append(" FROM ")
                .append(table.quoted());
        String condition = range == null ? null : range.condition(rangeColumn);
        if (condition != null) {
            sql.append(" WHERE ").append(condition);
        }
        return sql.toString();
    }
}
