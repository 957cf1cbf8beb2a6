package io.tributary.merge;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The merge rules {@code tributary resolve} recorded for one source table, for {@code tributary follow}: the same
 * {@link KeyRemapper} projections the copy reads the table through (key offset, foreign keys through the parents'
 * key_map and offsets, declared references), the origin column that tells this source's rows from the others',
 * the losing rows of duplicates that do not land, and — for a live change that creates a new duplicate natural
 * key — the table's conflict strategy, settled by {@link Duplicates} exactly as resolve settles one.
 *
 * <p>Expressions here are SQL over a row with the source table's column names (as the copy's SELECT uses them);
 * the follow evaluates them in the target over the change's values.
 */
public final class LiveMerge {
    private static final Logger LOG = Logger.getLogger(LiveMerge.class.getName());

    private final String source;
    private final String target;
    private final TableShape shape;
    private final List<SourceKeys.ForeignKey> foreignKeys;
    private final MergeRules rules;
    private final RemapLedger ledger;
    private final RemapLedger.Offset own;
    private final List<List<String>> naturalKeys;
    private final MergeRules.Strategy strategy;

    private Map<String, String> projections;
    private String exclusion;

    private LiveMerge(MigrationConfig config, String source, String target, TableShape shape,
            List<SourceKeys.ForeignKey> foreignKeys, RemapLedger.Offset own, List<List<String>> naturalKeys) {
        this.source = source;
        this.target = target;
        this.shape = shape;
        this.foreignKeys = foreignKeys;
        this.rules = new MergeRules(config);
        this.ledger = new RemapLedger(new ControlSchema(config.control().schema()));
        this.own = own;
        this.naturalKeys = naturalKeys;
        this.strategy = rules.strategy(own.sources(), shape.table(),
                own.sources().stream().map(s -> shape.columnNames()).toList());
    }

    /**
     * The merge of {@code table} (of {@code source}) into {@code target}, or empty when resolve recorded none for it
     * (a one-to-one table). Refused (exit 2): a target table other sources were merged into that this source was
     * not resolved for, and a merge without an origin column (nothing would tell this source's rows apart).
     */
    public static Optional<LiveMerge> of(MigrationConfig config, Connection control, Connection sourceDb,
            String source, TableRef table, String target, TableRef targetTable) throws SQLException {
        ControlSchema schema = new ControlSchema(config.control().schema());
        if (!schema.exists(control)) {
            return Optional.empty();
        }
        List<RemapLedger.Offset> offsets = new RemapLedger(schema).offsets(control, target);
        Optional<RemapLedger.Offset> own = offsets.stream()
                .filter(o -> o.source().equals(source) && o.sourceTable().equals(table)).findFirst();
        if (own.isEmpty()) {
            List<String> others = offsets.stream().filter(o -> o.targetTable().equals(targetTable))
                    .map(RemapLedger.Offset::source).distinct().toList();
            if (!others.isEmpty()) {
                throw JobFailure.badInput(targetTable + " in " + target + " merges " + String.join(", ", others)
                        + ", but " + source + "." + table + " was not resolved into it: its changes would land"
                        + " without key offsets or origin; run tributary resolve (and copy) for it first");
            }
            return Optional.empty();
        }
        if (own.get().originColumn() == null) {
            throw JobFailure.badInput(source + "." + table + " was merged into " + targetTable + " without an origin"
                    + " column: a follow could not tell this source's rows from the others'");
        }
        TableShape shape = new CatalogReader().read(sourceDb, table).orElseThrow(() -> JobFailure.badInput(
                "table " + table + " does not exist in " + source));
        List<SourceKeys.ForeignKey> fks = SourceKeys.foreignKeys(sourceDb, table);
        MergeRules rules = new MergeRules(config);
        List<List<String>> naturalKeys = rules.naturalKeys(own.get().sources(), table, List.of(shape),
                List.of(SourceKeys.uniqueKeys(sourceDb, table)));
        LiveMerge merge = new LiveMerge(config, source, target, shape, fks, own.get(), naturalKeys);
        merge.refresh(control);
        return Optional.of(merge);
    }

    /** Reads key_offsets, key_map and the losing rows again (after a live conflict changed them). */
    public void refresh(Connection control) throws SQLException {
        KeyRemapper remapper = new KeyRemapper(ledger, control, target, rules);
        projections = remapper.liveProjections(shape, source, foreignKeys);
        exclusion = jdbcText(remapper.prepare(shape, source, foreignKeys).predicate());
    }

    /**
     * The copy's exclusion runs in COPY, where {@code ?} is jsonb's key-exists operator; in a JDBC statement it
     * would be a parameter, so the operator (after the inlined key list, the last one) is written {@code ??}.
     */
    private static String jdbcText(String predicate) {
        if (predicate == null) {
            return null;
        }
        int at = predicate.lastIndexOf("::jsonb ? ");
        return at < 0 ? predicate : predicate.substring(0, at) + "::jsonb ?? " + predicate.substring(at + 10);
    }

    /** The expression a column lands as (the column itself when unchanged), over the source row. */
    public String expression(String column) {
        return projections.getOrDefault(column, Identifiers.quote(column));
    }

    public String originColumn() {
        return own.originColumn();
    }

    /** The origin value this source's rows carry, as a SQL literal. */
    public String originLiteral() {
        return Identifiers.literal(source);
    }

    /** SQL over the source row: false for a losing row of a duplicate (it does not land); null when none lost. */
    public String landsPredicate() {
        return exclusion;
    }

    /** The columns {@link #landsPredicate} reads (the source's primary key). */
    public List<String> landsPredicateColumns() {
        return shape.primaryKeyIfAny().map(TableShape.PrimaryKey::columns).orElse(naturalKeys.isEmpty() ? List.of()
                : naturalKeys.get(0));
    }

    public List<List<String>> naturalKeys() {
        return naturalKeys;
    }

    public String source() {
        return source;
    }

    /** What a live duplicate did: the incoming row lost (it does not land), or won (it took the other's place). */
    public enum Outcome { LOST, WON }

    /** Binds the values of the row subquery a statement uses; returns the next parameter index. */
    @FunctionalInterface
    public interface Binder {
        int bind(PreparedStatement ps, int from) throws SQLException;
    }

    /**
     * A live INSERT whose natural key another source's row already holds in {@code targetTable}: decides the winner
     * by the table's strategy, records it in conflict_queue (manual: open) and key_map as resolve does, and, when
     * the incoming row wins, writes it over the other's row in place (keeping that row's key, so whatever refers
     * to it stays valid; key_map then names where each source's own key landed). {@code row} is a subquery with
     * the source table's columns whose parameters {@code binder} fills. Returns null if no such row exists.
     */
    public Outcome settleDuplicate(Connection control, TableRef targetTable, String row, Binder binder,
            List<String> rowColumns, String runId) throws SQLException {
        String origin = Identifiers.quote(originColumn());
        List<String> nk = naturalKeys.get(0);
        String pk = singleKey();
        String targetKey = pk == null ? "NULL" : KeyRemapper.text(List.of(Identifiers.quote(pk)),
                List.of(KeyRemapper.column(shape, pk)));
        String where = source + "." + shape.table();
        String lastWrite = Duplicates.lastWriteSql(strategy, shape.columns(), where);
        String keyText = KeyRemapper.text(nk.stream().map(Identifiers::quote).toList(),
                nk.stream().map(c -> KeyRemapper.column(shape, c)).toList());
        List<String> matches = new ArrayList<>();
        for (List<String> k : naturalKeys) {
            matches.add("(" + columns(k, "tributary_target.") + ") = (SELECT " + columns(k, "tributary_row.")
                    + " FROM " + projected(row, rowColumns, false) + " AS tributary_row)");
        }
        String existingSql = "SELECT " + origin + ", " + targetKey + ", " + lastWrite + ", CAST(to_jsonb(tributary_target.*)"
                + " AS text), " + keyText + ", CAST(tributary_target.tableoid AS int8), CAST(tributary_target.ctid AS text) FROM " + targetTable.quoted()
                + " AS tributary_target WHERE " + origin + " <> " + originLiteral() + " AND ("
                + String.join(" OR ", matches) + ") LIMIT 1";
        String theirs;
        String theirKey;
        String theirLastWrite;
        String theirRow;
        String value;
        long tableoid;
        String ctid;
        try (PreparedStatement ps = control.prepareStatement(existingSql)) {
            int p = 1;
            for (int i = 0; i < naturalKeys.size(); i++) {
                p = binder.bind(ps, p);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                theirs = rs.getString(1);
                theirKey = rs.getString(2);
                theirLastWrite = rs.getString(3);
                theirRow = rs.getString(4);
                value = rs.getString(5);
                tableoid = rs.getLong(6);
                ctid = rs.getString(7);
            }
        }
        String mine = "SELECT " + lastWrite + ", CAST(to_jsonb(tributary_source.*) AS text), "
                + KeyRemapper.ownKeyText(shape, nk) + " FROM " + row + " AS tributary_source";
        String myLastWrite;
        String myRow;
        String myKey;
        try (PreparedStatement ps = control.prepareStatement(mine)) {
            binder.bind(ps, 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                myLastWrite = rs.getString(1);
                myRow = rs.getString(2);
                myKey = rs.getString(3);
            }
        }
        List<Duplicates.Contender> contenders = List.of(
                new Duplicates.Contender(own.sources().indexOf(theirs), theirs, Duplicates.lastWrite(lastWrite, theirLastWrite)),
                new Duplicates.Contender(own.sources().indexOf(source), source, Duplicates.lastWrite(lastWrite, myLastWrite)));
        boolean iWin = Duplicates.winner(contenders, strategy) == 1;
        Duplicates.Contender winner = contenders.get(iWin ? 1 : 0);
        Duplicates.Contender loser = contenders.get(iWin ? 0 : 1);
        String status = Duplicates.manual(strategy) ? "open" : "resolved";
        String reason = "live: " + Duplicates.reason(strategy, winner, loser);
        if (!iWin) {
            ledger.record(control, new RemapLedger.Conflict(target, targetTable, nk, value, strategy.name(), theirs,
                    theirKey, theirRow, source, myKey, myRow, status, reason), runId, pk != null);
            LOG.info("live duplicate " + String.join(", ", nk) + " " + value + " in " + targetTable + ": "
                    + strategy.name() + " keeps " + theirs + "'s row; " + source + "'s " + myKey + " does not land");
            return Outcome.LOST;
        }
        // The incoming row takes the other's place: its values (and origin) over that row, whose key stays.
        List<String> set = new ArrayList<>(rowColumns.stream().filter(c -> !c.equals(pk)).toList());
        set.add(originColumn());
        String update = "UPDATE " + targetTable.quoted() + " SET (" + columns(set, "") + ") = (SELECT "
                + columns(set, "tributary_row.") + " FROM " + projected(row, rowColumns, true) + " AS tributary_row)"
                + " WHERE tableoid = CAST(? AS oid) AND ctid = CAST(? AS tid)";
        try (PreparedStatement ps = control.prepareStatement(update)) {
            int p = binder.bind(ps, 1);
            ps.setLong(p, tableoid);
            ps.setString(p + 1, ctid);
            ps.executeUpdate();
        }
        String theirOwnKey = ownKeyOf(control, targetTable, theirs, theirKey, theirRow);
        ledger.record(control, new RemapLedger.Conflict(target, targetTable, nk, value, strategy.name(), source,
                theirKey, myRow, theirs, theirOwnKey, theirRow, status, reason), runId, pk != null);
        if (pk != null) {
            ledger.mapKey(control, target, targetTable, source, myKey, theirKey, "live duplicate "
                    + String.join(", ", nk) + " " + value + ": " + strategy.name() + " kept " + source
                    + ", whose row took the place of " + theirs + "'s", runId);
        }
        LOG.info("live duplicate " + String.join(", ", nk) + " " + value + " in " + targetTable + ": "
                + strategy.name() + " keeps " + source + "'s row, written over " + theirs + "'s at key " + theirKey);
        return Outcome.WON;
    }

    /**
     * The projected row: {@code (SELECT <expression> AS "col", ..., origin FROM row AS tributary_source)} for the
     * given columns of {@code row}; losing rows are left out when {@code landing}.
     */
    public String projected(String row, List<String> columns, boolean landing) {
        List<String> out = new ArrayList<>();
        for (String c : columns) {
            out.add(expression(c) + " AS " + Identifiers.quote(c));
        }
        out.add("CAST(" + originLiteral() + " AS text) AS " + Identifiers.quote(originColumn()));
        return "(SELECT " + String.join(", ", out) + " FROM " + row + " AS tributary_source"
                + (landing && exclusion != null ? " WHERE " + exclusion : "") + ")";
    }

    /**
     * The source's own key of the row another source holds at {@code targetKey} (key_map backwards, else the key
     * less that source's offset): what its later changes will name, so they are left out once it lost.
     */
    private String ownKeyOf(Connection control, TableRef targetTable, String other, String targetKey, String row)
            throws SQLException {
        if (targetKey == null) {
            // no single key: the natural key text of the row names it, as resolve's ownKeyText does
            try (PreparedStatement ps = control.prepareStatement("SELECT " + KeyRemapper.ownKeyText(shape,
                    naturalKeys.get(0)) + " FROM jsonb_populate_record(NULL::" + targetTable.quoted()
                    + ", CAST(? AS jsonb)) AS tributary_target")) {
                ps.setString(1, row);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        }
        for (Map.Entry<String, String> e : ledger.keyMap(control, target, targetTable, other).entrySet()) {
            if (e.getValue().equals(targetKey)) {
                return e.getKey();
            }
        }
        Optional<RemapLedger.Offset> theirs = ledger.offsets(control, target).stream()
                .filter(o -> o.source().equals(other) && o.targetTable().equals(targetTable)).findFirst();
        if (theirs.isPresent() && theirs.get().keyColumn() != null && theirs.get().offset() != 0) {
            return Long.toString(Long.parseLong(targetKey) - theirs.get().offset());
        }
        return targetKey;
    }

    private String singleKey() {
        return shape.primaryKeyIfAny().filter(pk -> pk.columns().size() == 1).map(pk -> pk.columns().get(0))
                .orElse(null);
    }

    private static String columns(List<String> names, String prefix) {
        return String.join(", ", names.stream().map(n -> prefix + Identifiers.quote(n)).toList());
    }
}
