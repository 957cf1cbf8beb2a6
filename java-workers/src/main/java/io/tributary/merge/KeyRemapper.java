package io.tributary.merge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.discover.InventoryJson;
import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns what {@code tributary resolve} recorded into the copy's source projection: the table's own surrogate
 * key plus its offset, every foreign key (and every declared cross-instance reference) through the parent's
 * key_map then offset, an origin column naming the instance, and a predicate that leaves out the losing rows
 * of duplicate natural keys. The same expressions feed the copy and the source checksum, so what is verified
 * is the remapped data.
 */
public final class KeyRemapper {
    static final List<String> INTEGER_TYPES = List.of("smallint", "integer", "bigint");

    private final RemapLedger ledger;
    private final Connection control;
    private final String target;
    private final MergeRules rules;
    private final List<RemapLedger.Offset> offsets;
    private final Map<String, Map<String, String>> keyMaps = new HashMap<>();

    /** {@code control} may be null (no control schema yet): then every projection is the identity. */
    public KeyRemapper(RemapLedger ledger, Connection control, String target, MergeRules rules) throws SQLException {
        this.ledger = ledger;
        this.control = control;
        this.target = target;
        this.rules = rules;
        this.offsets = control == null ? List.of() : ledger.offsets(control, target);
    }

    /** The decision for a source table going to this target, if resolve made one. */
    public Optional<RemapLedger.Offset> offset(String source, TableRef sourceTable) {
        return offsets.stream().filter(o -> o.source().equals(source) && o.sourceTable().equals(sourceTable))
                .findFirst();
    }

    /** What to change in a source table's selection: column expressions, an origin column, a row predicate. */
    public record Prepared(Map<String, String> projections, String originColumn, String originLiteral,
            String predicate) {
        public RowSelection apply(RowSelection plain) {
            RowSelection out = plain;
            for (var p : projections.entrySet()) {
                out = out.withProjection(p.getKey(), p.getValue(), null);
            }
            if (originColumn != null) {
                out = out.withProjection(originColumn, "CAST(" + originLiteral + " AS text)",
                        ColumnShape.of(originColumn, "text", ColumnShape.CanonicalForm.TEXT));
            }
            return out.withPredicate(predicate);
        }
    }

    /** The projection for one source table, decided from the source's shape and foreign keys. */
    public Prepared prepare(TableShape shape, String source, List<SourceKeys.ForeignKey> foreignKeys)
            throws SQLException {
        Map<String, String> projections = projections(shape, source, foreignKeys);
        Optional<RemapLedger.Offset> own = offset(source, shape.table());
        String origin = null;
        String predicate = null;
        if (own.isPresent() && own.get().originColumn() != null) {
            origin = own.get().originColumn();
            Set<String> excluded = ledger.excluded(control, target, own.get().targetTable(), source);
            if (!excluded.isEmpty()) {
                predicate = exclusion(shape, excluded);
            }
        }
        return new Prepared(projections, origin, Identifiers.literal(source), predicate);
    }

    /** The projected selection of {@code plain} (every column as is) for one source table. */
    public RowSelection shape(RowSelection plain, String source, List<SourceKeys.ForeignKey> foreignKeys)
            throws SQLException {
        return prepare(plain.source(), source, foreignKeys).apply(plain);
    }

    /**
     * The projections a live change goes through ({@code tributary follow}): those of the copy, except that the
     * table's own key also goes through its key_map. The copy never needs that (a source's own rows in key_map are
     * losers it leaves out), a follow does: a live duplicate the source won overwrites the loser's row in place,
     * and key_map then names where the winner's own key landed.
     */
    public Map<String, String> liveProjections(TableShape shape, String source, List<SourceKeys.ForeignKey> foreignKeys)
            throws SQLException {
        Map<String, String> out = projections(shape, source, foreignKeys);
        Optional<RemapLedger.Offset> own = offset(source, shape.table());
        if (own.isPresent() && own.get().keyColumn() != null) {
            Map<String, String> map = keyMap(own.get().targetTable(), source);
            if (!map.isEmpty()) {
                out.put(own.get().keyColumn(), mapped(column(shape, own.get().keyColumn()), own.get().offset(), map));
            }
        }
        return out;
    }

    /** column → SQL expression over the source row, for every column that changes. */
    Map<String, String> projections(TableShape shape, String source, List<SourceKeys.ForeignKey> foreignKeys)
            throws SQLException {
        Map<String, String> out = new HashMap<>();
        Optional<RemapLedger.Offset> own = offset(source, shape.table());
        if (own.isPresent() && own.get().keyColumn() != null && own.get().offset() != 0) {
            ColumnShape key = column(shape, own.get().keyColumn());
            out.put(key.name(), mapped(key, own.get().offset(), Map.of()));
        }
        for (SourceKeys.ForeignKey fk : foreignKeys) {
            // The deepest remapped key on the path decides, as it decided the parent's own copy of that column.
            Optional<String> e = Optional.empty();
            SourceKeys.Hop from = null;
            for (int i = fk.path().size() - 1; i >= 0 && e.isEmpty(); i--) {
                from = fk.path().get(i);
                e = reference(shape, fk.column(), source, from.table(), from.column());
            }
            if (e.isPresent()) {
                String earlier = out.put(fk.column(), e.get());
                if (earlier != null && !earlier.equals(e.get()) && !fk.column().equals(own.map(
                        RemapLedger.Offset::keyColumn).orElse(null))) {
                    throw JobFailure.badInput("column " + fk.column() + " of " + source + "." + shape.table()
                            + " is in foreign keys to differently remapped tables (one is " + from.table()
                            + "): it cannot follow both");
                }
            }
        }
        for (MergeRules.Reference ref : rules.references(source, shape.table())) {
            if (shape.column(ref.column()).isEmpty()) {
                throw JobFailure.badInput("tables[].references names column " + ref.column() + ", which "
                        + source + "." + shape.table() + " does not have");
            }
            reference(shape, ref.column(), ref.instance(), ref.table(), null).ifPresent(e -> out.put(ref.column(), e));
        }
        return out;
    }

    /** The expression for a column holding keys of {@code parent} in {@code parentSource}, or empty if unchanged. */
    private Optional<String> reference(TableShape shape, String column, String parentSource, TableRef parent,
            String parentColumn) throws SQLException {
        Optional<RemapLedger.Offset> p = offset(parentSource, parent);
        if (p.isEmpty() || p.get().keyColumn() == null
                || parentColumn != null && !parentColumn.equals(p.get().keyColumn())) {
            return Optional.empty();
        }
        Map<String, String> map = keyMap(p.get().targetTable(), parentSource);
        if (p.get().offset() == 0 && map.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(mapped(column(shape, column), p.get().offset(), map));
    }

    private Map<String, String> keyMap(TableRef targetTable, String source) throws SQLException {
        String k = targetTable + "\u0000" + source;
        Map<String, String> m = keyMaps.get(k);
        if (m == null) {
            m = ledger.keyMap(control, target, targetTable, source);
            keyMaps.put(k, m);
        }
        return m;
    }

    /**
     * {@code col + offset}, or the key_map's new key where it has one. The map is inlined as a jsonb literal
     * (COPY takes no parameters, and the source database cannot see the control schema); jsonb lookups are
     * logarithmic, so thousands of folded keys cost little per row.
     */
    static String mapped(ColumnShape column, long offset, Map<String, String> map) {
        String col = column.quotedName();
        boolean integer = INTEGER_TYPES.contains(column.type());
        String shifted = integer ? "CAST(" + col + " AS int8) + " + offset : col;
        if (!integer && offset != 0) {
            throw JobFailure.badInput("column " + column.name() + " (" + column.type() + ") cannot take a key offset");
        }
        String value = shifted;
        if (!map.isEmpty()) {
            ObjectNode json = InventoryJson.object();
            map.forEach(json::put);
            String lookup = "(" + Identifiers.literal(json.toString()) + "::jsonb ->> CAST(" + col + " AS text))";
            value = "COALESCE(" + (integer ? "CAST(" + lookup + " AS int8)" : lookup) + ", " + shifted + ")";
        }
        return "CAST(" + value + " AS " + column.type() + ")";
    }

    private static String exclusion(TableShape shape, Set<String> keys) {
        ObjectNode json = InventoryJson.object();
        keys.forEach(k -> json.put(k, true));
        return "NOT (" + Identifiers.literal(json.toString()) + "::jsonb ? " + ownKeyText(shape, null) + ")";
    }

    /** The text that names one source row: its primary key, else the given natural key. */
    static String ownKeyText(TableShape shape, List<String> naturalKey) {
        List<String> cols = shape.primaryKeyIfAny().map(TableShape.PrimaryKey::columns).orElse(naturalKey);
        if (cols == null || cols.isEmpty()) {
            throw JobFailure.badInput(shape.table() + " has no primary key and no natural key: losing rows of a"
                    + " duplicate cannot be named (set tables[].natural_key or key)");
        }
        return text(cols.stream().map(c -> column(shape, c)).map(ColumnShape::quotedName).toList(),
                cols.stream().map(c -> column(shape, c)).toList());
    }

    /** Canonical text of several expressions: see {@link ColumnShape#canonicalText}. */
    static String text(List<String> expressions, List<ColumnShape> columns) {
        return ColumnShape.canonicalText(expressions, columns);
    }

    static ColumnShape column(TableShape shape, String name) {
        return shape.column(name).orElseThrow(() -> JobFailure.badInput(
                "column " + name + " does not exist in " + shape.table()));
    }

    static String columns(List<String> names) {
        return names.stream().collect(Collectors.joining(", "));
    }
}
