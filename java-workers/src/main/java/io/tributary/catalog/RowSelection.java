package io.tributary.catalog;

import io.tributary.result.JobFailure;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The SELECT that feeds a copy: per target column, the SQL expression evaluated on the source row that
 * produces it (by default the quoted source column), from which table, within which key range, under which
 * optional row predicate. The copy streams exactly this SELECT and the checksum hashes exactly this SELECT,
 * so a projected copy (remapped keys, an added origin column, a split by predicate) is verified against the
 * projected source, never against the raw one.
 *
 * <p>Immutable: {@link #withProjection}, {@link #withPredicate} and {@link #withRange} return new selections,
 * so one base selection can be cut into chunks.
 */
public final class RowSelection {
    /** The pseudo key column of a chunk over physical pages (tables without a usable key). */
    public static final String CTID = "ctid";

    private final TableShape shape;
    private final List<Projection> projections;
    private final KeyRange range;
    private final ColumnShape rangeColumn;
    private final String predicate;

    /**
     * One output column: its name, type and canonical form in target shape ({@code column}), and the SQL
     * expression over the source row that produces it. The expression must yield the column's type exactly
     * when the copy is binary (cast it if in doubt).
     */
    public record Projection(ColumnShape column, String expression) {
        public Projection {
            if (column == null || expression == null || expression.isBlank()) {
                throw new IllegalArgumentException("a projection needs a column and an expression");
            }
        }

        /** The column itself, unchanged. */
        public static Projection identity(ColumnShape column) {
            return new Projection(column, column.quotedName());
        }

        public boolean isIdentity() {
            return expression.equals(column.quotedName());
        }

        /** {@code "col"} or {@code <expression> AS "col"}. */
        public String selectItem() {
            return isIdentity() ? expression : "(" + expression + ") AS " + column.quotedName();
        }
    }

    private RowSelection(TableShape shape, List<Projection> projections, KeyRange range, ColumnShape rangeColumn,
            String predicate) {
        this.shape = shape;
        this.projections = List.copyOf(projections);
        this.range = range;
        this.rangeColumn = rangeColumn;
        this.predicate = predicate;
        Set<String> seen = new HashSet<>();
        for (Projection p : this.projections) {
            if (!seen.add(p.column().name())) {
                throw JobFailure.badInput("column " + p.column().name() + " is selected twice from " + shape.table());
            }
        }
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
        List<Projection> cols = new ArrayList<>();
        if (columnOrder == null) {
            shape.columns().forEach(c -> cols.add(Projection.identity(c)));
        } else {
            for (String name : columnOrder) {
                cols.add(Projection.identity(shape.column(name).orElseThrow(() -> JobFailure.badInput(
                        "column " + name + " does not exist in " + where))));
            }
        }
        return new RowSelection(shape, cols, range, rangeColumn(shape, range, where), null);
    }

    /** Explicit projections over a source table (the merge engine's entry point). */
    public static RowSelection projected(TableShape source, List<Projection> projections, KeyRange range,
            String predicate) {
        return new RowSelection(source, projections, range, rangeColumn(source, range, "table " + source.table()),
                blankToNull(predicate));
    }

    private static ColumnShape rangeColumn(TableShape shape, KeyRange range, String where) {
        if (range == null) {
            return null;
        }
        if (CTID.equals(range.column())) {
            return ColumnShape.of(CTID, "tid", ColumnShape.CanonicalForm.TEXT);
        }
        return shape.column(range.column()).orElseThrow(() -> JobFailure.badInput(
                "key column " + range.column() + " does not exist in " + where));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /**
     * The same selection with the named output column produced by {@code expression} instead. A name not yet
     * selected is added at the end with the given shape (e.g. an origin column {@code 'src_eu'::text});
     * {@code shape} may be null to keep the existing column's shape.
     */
    public RowSelection withProjection(String column, String expression, ColumnShape outputShape) {
        List<Projection> next = new ArrayList<>(projections);
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i).column().name().equals(column)) {
                ColumnShape c = outputShape != null ? outputShape : next.get(i).column();
                next.set(i, new Projection(c, expression));
                return new RowSelection(shape, next, range, rangeColumn, predicate);
            }
        }
        if (outputShape == null) {
            throw JobFailure.badInput("column " + column + " is not selected from " + shape.table()
                    + "; a new output column needs its shape");
        }
        next.add(new Projection(outputShape, expression));
        return new RowSelection(shape, next, range, rangeColumn, predicate);
    }

    /** The same rows with these output columns instead (e.g. reordered to the target's column order). */
    public RowSelection withProjections(List<Projection> next) {
        return new RowSelection(shape, next, range, rangeColumn, predicate);
    }

    /** The same selection, also restricted by this SQL condition over the source row (ANDed). */
    public RowSelection withPredicate(String condition) {
        if (blankToNull(condition) == null) {
            return this;
        }
        String combined = predicate == null ? condition : "(" + predicate + ") AND (" + condition + ")";
        return new RowSelection(shape, projections, range, rangeColumn, combined);
    }

    /** The same selection over another key range (replacing the current one); null means the whole table. */
    public RowSelection withRange(KeyRange next) {
        return new RowSelection(shape, projections, next, rangeColumn(shape, next, "table " + shape.table()),
                predicate);
    }

    public TableRef table() {
        return shape.table();
    }

    /** The source table's shape the expressions are evaluated on. */
    public TableShape source() {
        return shape;
    }

    /** The output columns in target-shape order (names, types and canonical forms of the target). */
    public List<ColumnShape> columns() {
        return projections.stream().map(Projection::column).toList();
    }

    public List<Projection> projections() {
        return projections;
    }

    public KeyRange range() {
        return range;
    }

    /** The extra row predicate, or null. */
    public String predicate() {
        return predicate;
    }

    /** True when every output column is a source column as is (no expressions). */
    public boolean isIdentity() {
        return projections.stream().allMatch(Projection::isIdentity);
    }

    /** The output column names, quoted: the column list of the target's {@code COPY ... FROM STDIN}. */
    public String columnList() {
        return projections.stream().map(p -> p.column().quotedName()).collect(Collectors.joining(", "));
    }

    /** The WHERE condition (range AND predicate), or null when every row is selected. */
    public String condition() {
        String rangeCondition = range == null ? null : range.condition(rangeColumn);
        if (rangeCondition == null) {
            return predicate == null ? null : "(" + predicate + ")";
        }
        return predicate == null ? rangeCondition : rangeCondition + " AND (" + predicate + ")";
    }

    /** The SELECT of every output column: what both checksums hash. */
    public String selectSql() {
        return selectSql(projections);
    }

    /**
     * The output columns a COPY writes: all but the generated ones, which the receiving database computes itself
     * (it refuses values for them). The checksums still hash them ({@link #selectSql}), each side its own: the
     * source its stored values, the target what it computed, so a differing generation expression shows.
     */
    public List<Projection> copiedProjections() {
        return projections.stream().filter(p -> !p.column().generated()).toList();
    }

    /** The SELECT a COPY streams: {@link #copiedProjections} only (possibly none: zero-column rows still count). */
    public String copySelectSql() {
        return selectSql(copiedProjections());
    }

    /**
     * {@code COPY <target> (<columns>) FROM STDIN} for the copied columns; without a column list when there are
     * none (a table without columns, or only generated ones): PostgreSQL rejects an empty list {@code ()} but
     * copies zero-column rows into the table's (then also empty) set of writable columns.
     */
    public String copyFromStdin(TableRef target) {
        String columns = copiedProjections().stream().map(p -> p.column().quotedName())
                .collect(Collectors.joining(", "));
        return "COPY " + target.quoted() + (columns.isEmpty() ? "" : " (" + columns + ")") + " FROM STDIN";
    }

    private String selectSql(List<Projection> items) {
        StringBuilder sql = new StringBuilder("SELECT ")
                .append(items.stream().map(Projection::selectItem).collect(Collectors.joining(", ")))
                .append(" FROM ")
                .append(shape.readFrom());
        String condition = condition();
        if (condition != null) {
            sql.append(" WHERE ").append(condition);
        }
        return sql.toString();
    }
}
