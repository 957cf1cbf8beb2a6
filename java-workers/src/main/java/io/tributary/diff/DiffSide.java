package io.tributary.diff;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableShape;
import io.tributary.verify.TableChecksum;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One side of a diff: a connection (in its own read-only snapshot), the table, the compared columns and key
 * columns as this side has them, and the SQL this side runs. All SQL is over a relation
 * {@code SELECT <columns and keys> FROM <table> WHERE <key range>} aliased {@code r}, in the target's key space.
 */
final class DiffSide {
    private static final String R = TableChecksum.alias() + ".";

    final String conn;
    final Connection connection;
    final TableShape shape;
    final List<ColumnShape> columns;
    final List<ColumnShape> keys;
    final KeyMapping mapping;
    /** Bounds are cast to int8 (single integer key on both sides), else to each key column's own type. */
    boolean integerKey;
    /** Column → expression over the stored row (a merged source's remapped foreign keys); empty: as stored. */
    Map<String, String> projections = Map.of();
    /** A condition every row of this side meets (a merged target: this source's rows only); null: all rows. */
    String filter;

    DiffSide(String conn, Connection connection, TableShape shape, List<ColumnShape> columns, List<ColumnShape> keys,
            KeyMapping mapping) {
        this.conn = conn;
        this.connection = connection;
        this.shape = shape;
        this.columns = List.copyOf(columns);
        this.keys = List.copyOf(keys);
        this.mapping = mapping;
    }

    String label() {
        return conn + " " + shape.table();
    }

    /** The SELECT everything else runs over: compared columns plus key columns, keys mapped. */
    String relation(String where) {
        Map<String, String> select = new LinkedHashMap<>();
        for (ColumnShape c : columns) {
            select.put(c.name(), expression(c));
        }
        for (ColumnShape k : keys) {
            select.putIfAbsent(k.name(), expression(k));
        }
        String list = select.entrySet().stream()
                .map(e -> e.getValue().equals(Identifiers.quote(e.getKey())) ? e.getValue()
                        : e.getValue() + " AS " + Identifiers.quote(e.getKey()))
                .collect(Collectors.joining(", "));
        String condition = where(where);
        return "SELECT " + list + " FROM " + shape.readFrom() + (condition == null ? "" : " WHERE " + condition);
    }

    private String where(String where) {
        if (filter == null) {
            return where;
        }
        return where == null ? "(" + filter + ")" : "(" + where + ") AND (" + filter + ")";
    }

    private String expression(ColumnShape c) {
        if (isMapped(c)) {
            return mapping.select(c.quotedName());
        }
        String projected = projections.get(c.name());
        return projected != null ? projected : c.quotedName();
    }

    private boolean isMapped(ColumnShape c) {
        return !mapping.isIdentity() && c.name().equals(keys.get(0).name());
    }

    /** A key column as the relation yields it (a remapped key is int8). */
    ColumnShape keyAsSeen(int i) {
        ColumnShape k = keys.get(i);
        return isMapped(k) ? ColumnShape.of(k.name(), "bigint", ColumnShape.CanonicalForm.TEXT) : k;
    }

    /** A bound value as SQL of the key column's type, in the target's key space. */
    String literal(int i, String value) {
        String type = integerKey ? "int8" : keys.get(i).type();
        return "CAST(" + Identifiers.literal(value) + " AS " + type + ")";
    }

    /** A bound value as a bound on this side's stored column (unmapped: the index still serves it). */
    private String rawLiteral(int i, String value) {
        String lit = literal(i, value);
        return isMapped(keys.get(i)) ? mapping.unmapBound(lit) : lit;
    }

    private String rawTuple(Bound b) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            parts.add(rawLiteral(i, b.values().get(i)));
        }
        return parts.size() == 1 ? parts.get(0) : "(" + String.join(", ", parts) + ")";
    }

    private String rawKey() {
        return keys.size() == 1 ? keys.get(0).quotedName()
                : "(" + keys.stream().map(ColumnShape::quotedName).collect(Collectors.joining(", ")) + ")";
    }

    /** {@code lo <= key < hi} on the stored columns (tuple comparison for composite keys); null if open. */
    String rangePredicate(Bound lo, Bound hi) {
        List<String> parts = new ArrayList<>();
        if (lo != null) {
            parts.add(rawKey() + " >= " + rawTuple(lo));
        }
        if (hi != null) {
            parts.add(rawKey() + " < " + rawTuple(hi));
        }
        return parts.isEmpty() ? null : String.join(" AND ", parts);
    }

    String keyIn(List<Bound> keyValues) {
        return rawKey() + " IN (" + keyValues.stream().map(this::rawTuple).collect(Collectors.joining(", ")) + ")";
    }

    /** The relation's key as one comparable value: {@code r.k} or {@code ROW(r.a, r.b)}. */
    private String relationKey() {
        return keys.size() == 1 ? R + keys.get(0).quotedName()
                : "ROW(" + keys.stream().map(k -> R + k.quotedName()).collect(Collectors.joining(", ")) + ")";
    }

    private String orderBy() {
        return keys.stream().map(k -> R + k.quotedName()).collect(Collectors.joining(", "));
    }

    private String keyTexts() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            parts.add(TableChecksum.canonical(keyAsSeen(i)) + " AS k" + i);
        }
        return String.join(", ", parts);
    }

    /** The segment of a row: {@code width_bucket(key, ARRAY[thresholds])} (0 below the first threshold). */
    String segmentExpression(List<Bound> thresholds) {
        if (thresholds.isEmpty()) {
            return "0";
        }
        List<String> items = new ArrayList<>();
        for (Bound t : thresholds) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                parts.add(literal(i, t.values().get(i)));
            }
            items.add(parts.size() == 1 ? parts.get(0) : "ROW(" + String.join(", ", parts) + ")");
        }
        return "pg_catalog.width_bucket(" + relationKey() + ", ARRAY[" + String.join(", ", items) + "])";
    }

    /** Key texts and row hash of every row in a key range, ordered by key. */
    String leafSql(String where) {
        return "SELECT " + keyTexts() + ", " + TableChecksum.rowHash(columns) + " AS row_hash FROM ("
                + relation(where) + ") AS r ORDER BY " + orderBy();
    }

    /** Key texts and every compared column's canonical text, for the rows named. */
    String rowsSql(String where) {
        List<String> cols = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            cols.add(TableChecksum.canonical(columns.get(i)) + " AS c" + i);
        }
        return "SELECT " + keyTexts() + ", " + String.join(", ", cols) + " FROM (" + relation(where) + ") AS r";
    }

    /** Every step-th key of a range, in key order: quantile bounds for keys that are not a single integer. */
    String quantileSql(String where, long step) {
        String outer = java.util.stream.IntStream.range(0, keys.size()).mapToObj(i -> "k" + i)
                .collect(Collectors.joining(", "));
        return "SELECT " + outer + " FROM (SELECT " + keyTexts() + ", row_number() OVER (ORDER BY " + orderBy()
                + ") AS rn FROM (" + relation(where) + ") AS r) AS q WHERE rn % " + step + " = 0 ORDER BY rn";
    }

    /** min and max of a single integer key over a range, on the stored column (index-backed). */
    String minMaxSql(String where) {
        String k = keys.get(0).quotedName();
        String condition = where(where);
        return "SELECT min(" + k + ")::int8, max(" + k + ")::int8 FROM " + shape.readFrom()
                + (condition == null ? "" : " WHERE " + condition);
    }
}
