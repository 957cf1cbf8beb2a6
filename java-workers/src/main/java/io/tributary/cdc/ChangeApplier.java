package io.tributary.cdc;

// Over 500 lines on purpose: plain and merged writes share one batch that commits with the applied position.

import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.cdc.PgOutputDecoder.Value;
import io.tributary.merge.LiveMerge;
import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The apply stage: source transactions into the target, several whole transactions per target transaction. The
 * position applied (the end of the last source transaction) is written in that same target transaction, so after
 * a crash, even kill -9, the target and its recorded position agree and a restart neither loses nor repeats a
 * change. Consecutive changes of one shape go to the server as one JDBC batch; order is kept.
 *
 * <p>Values arrive as the source's text rendering and are cast to the target column's type by the target
 * ({@code CAST(? AS type)}). An UPDATE whose TOASTed column did not change carries no value for it: that column is
 * left out of the SET list, so the target keeps its value. Rows are found by the replica identity the source
 * publishes (primary key or identity index: typed equality; FULL: every column, compared as the target renders
 * it, one row at a time so duplicates stay exact). An UPDATE or DELETE that finds no row means the target
 * diverged from the source: the batch is rolled back and the follow stops (exit 3).
 */
final class ChangeApplier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ChangeApplier.class.getName());

    private final Connection target;
    private final FollowPlan plan;
    private final FollowLedger ledger;
    private final Map<TableRef, TargetTable> tables;
    private final Map<Integer, Relation> relations = new HashMap<>();
    private final Map<String, PreparedStatement> statements = new LinkedHashMap<>();

    private PreparedStatement pending;
    private final List<Pending> pendingWhat = new ArrayList<>();
    /** A live duplicate changed key_map or the losing rows: statements built before it are stale. */
    private boolean rulesChanged;

    private long batchTransactions;
    private long batchChanges;
    private long batchEndLsn;
    private Instant batchCommitTime;
    private long batchStartedNanos;
    private long transactionChanges;
    private boolean open;

    /**
     * A source relation in this stream, matched to its target table (null target: not followed) and, for a table
     * merged many-to-one, the merge's rules (null: one-to-one).
     */
    private record Relation(PgOutputDecoder.Relation source, TargetTable target, LiveMerge merge) {
    }

    /** One statement in the JDBC batch; {@code zeroRows} says whether touching no row is right (null: never). */
    private record Pending(String what, ZeroRows zeroRows) {
    }

    @FunctionalInterface
    private interface ZeroRows {
        boolean expected() throws SQLException;
    }

    private final Map<TableRef, LiveMerge> merges;
    private final Map<TableRef, TargetTable> sourceTables;

    /**
     * {@code merges}: the merged tables' rules; {@code sourceTables}: those tables as the source had them when the
     * follow started (a merged target table has an origin column and possibly widened types the source lacks).
     */
    ChangeApplier(Connection target, FollowPlan plan, Map<TableRef, TargetTable> tables,
            Map<TableRef, LiveMerge> merges, Map<TableRef, TargetTable> sourceTables) throws SQLException {
        this.target = target;
        this.plan = plan;
        this.ledger = new FollowLedger(plan.control());
        this.tables = tables;
        this.merges = merges;
        this.sourceTables = sourceTables;
        this.rulesChanged = !merges.isEmpty(); // read the merge rules afresh: an earlier run may have rolled back
        quietTriggers(target, plan.target());
        target.setAutoCommit(false);
    }

    /**
     * The apply session runs as PostgreSQL's own apply workers do ({@code session_replication_role = replica}, set
     * outside any transaction so no rollback undoes it): the target's ordinary triggers and foreign-key triggers
     * stay quiet, since the source fired its own, and a trigger rewriting the row on UPDATE (a {@code last_update =
     * now()}) would make the target differ. Allowed to a superuser or, from PostgreSQL 15, to a role granted
     * {@code SET ON PARAMETER session_replication_role}; without it the follow goes on with the triggers firing and
     * says so (verification would then find such a trigger's rows different).
     */
    private static void quietTriggers(Connection target, String targetId) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("SET session_replication_role = replica");
        } catch (SQLException e) {
            if (!"42501".equals(e.getSQLState())) {
                throw e;
            }
            LOG.warning("the target's triggers will fire as changes are applied to " + targetId + " (" + e.getMessage()
                    + "): a trigger that rewrites rows makes them differ from the source's; an administrator can"
                    + " allow the apply session to quiet them: GRANT SET ON PARAMETER session_replication_role TO"
                    + " <this role> (PostgreSQL 15+)");
        }
    }

    /** Checks a Relation against its target table: a source DDL change stops the follow before any of its rows. */
    void relation(PgOutputDecoder.Relation relation) {
        TableRef name = new TableRef(relation.schema(), relation.name());
        TableRef targetName = plan.tables().get(name);
        if (targetName == null) {
            LOG.fine(() -> "changes of " + name + " are published but not followed: skipped");
            relations.put(relation.oid(), new Relation(relation, null, null));
            return;
        }
        TargetTable table = tables.get(name);
        LiveMerge merge = merges.get(name);
        List<String> differences = merge == null ? table.differences(relation)
                : sourceTables.get(name).differences(relation);
        if (!differences.isEmpty()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("table", name.toString());
            details.put("target_table", targetName.toString());
            details.put("differences", differences);
            throw JobFailure.verificationFailed("the source's " + name + " no longer matches the target's "
                    + targetName + " (a DDL change on the source during follow): " + String.join("; ", differences)
                    + ". Every transaction before it was applied, nothing of it; change the target table the same way,"
                    + " then follow again (it resumes at that transaction)", details);
        }
        relations.put(relation.oid(), new Relation(relation, table, merge));
    }

    void begin() {
        open = true;
        transactionChanges = 0;
        if (batchTransactions == 0) {
            batchStartedNanos = System.nanoTime();
        }
    }

    void insert(PgOutputDecoder.Insert insert) throws SQLException {
        Relation r = relations.get(insert.relation());
        if (r.target() == null) {
            return;
        }
        if (r.merge() != null) {
            mergedInsert(r, insert.row());
            return;
        }
        List<PgOutputDecoder.Column> cols = r.source().columns();
        StringBuilder names = new StringBuilder();
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < cols.size(); i++) {
            names.append(i == 0 ? "" : ", ").append(Identifiers.quote(cols.get(i).name()));
            values.append(i == 0 ? "" : ", ").append(cast(r, i));
        }
        PreparedStatement ps = statement("INSERT INTO " + r.target().name().quoted() + " (" + names + ") VALUES ("
                + values + ")");
        int p = 1;
        for (Value v : insert.row()) {
            bind(ps, p++, v);
        }
        add(ps, "insert into " + r.target().name());
    }

    void update(PgOutputDecoder.Update update) throws SQLException {
        Relation r = relations.get(update.relation());
        if (r.target() == null) {
            return;
        }
        if (r.merge() != null) {
            mergedUpdate(r, update);
            return;
        }
        List<PgOutputDecoder.Column> cols = r.source().columns();
        List<Integer> set = new ArrayList<>();
        for (int i = 0; i < cols.size(); i++) {
            if (!update.row().get(i).unchangedToast()) {
                set.add(i); // an unchanged TOASTed value is not resent: the target keeps its own
            }
        }
        List<Value> identity = update.oldRow() != null ? update.oldRow() : update.row();
        StringBuilder sql = new StringBuilder("UPDATE " + r.target().name().quoted() + " SET ");
        for (int k = 0; k < set.size(); k++) {
            int i = set.get(k);
            sql.append(k == 0 ? "" : ", ").append(Identifiers.quote(cols.get(i).name())).append(" = ").append(cast(r, i));
        }
        Where where = where(r, identity, update.oldRow() != null && !update.oldIsKeyOnly());
        PreparedStatement ps = statement(sql + where.sql);
        int p = 1;
        for (int i : set) {
            bind(ps, p++, update.row().get(i));
        }
        for (Value v : where.values) {
            bind(ps, p++, v);
        }
        add(ps, "update of " + r.target().name() + " " + where.described);
    }

    void delete(PgOutputDecoder.Delete delete) throws SQLException {
        Relation r = relations.get(delete.relation());
        if (r.target() == null) {
            return;
        }
        if (r.merge() != null) {
            mergedDelete(r, delete);
            return;
        }
        Where where = where(r, delete.oldRow(), !delete.oldIsKeyOnly());
        PreparedStatement ps = statement("DELETE FROM " + r.target().name().quoted() + where.sql);
        int p = 1;
        for (Value v : where.values) {
            bind(ps, p++, v);
        }
        add(ps, "delete from " + r.target().name() + " " + where.described);
    }

    void truncate(PgOutputDecoder.Truncate truncate) throws SQLException {
        List<String> names = new ArrayList<>();
        List<Relation> merged = new ArrayList<>();
        for (int oid : truncate.relations()) {
            Relation r = relations.get(oid);
            if (r != null && r.target() != null) {
                if (r.merge() != null) {
                    merged.add(r);
                } else {
                    names.add(r.target().name().quoted());
                }
            }
        }
        if (names.isEmpty() && merged.isEmpty()) {
            return;
        }
        flushPending();
        // A merged table holds other sources' rows too: a source's TRUNCATE removes only the rows it owns (its
        // origin), in the order the source named the tables. Its identity is not restarted: it is shared.
        for (Relation r : merged) {
            try (PreparedStatement ps = target.prepareStatement("DELETE FROM " + r.target().name().quoted()
                    + " WHERE " + Identifiers.quote(r.merge().originColumn()) + " = " + r.merge().originLiteral())) {
                int rows = ps.executeUpdate();
                LOG.info("TRUNCATE of " + r.source().schema() + "." + r.source().name() + " on " + plan.source()
                        + ": its " + rows + " row(s) deleted from the merged " + r.target().name());
            }
        }
        if (names.isEmpty()) {
            counted();
            return;
        }
        // Never CASCADE: in the consolidated database other tables may reference these.
        try (Statement st = target.createStatement()) {
            st.execute("TRUNCATE ONLY " + String.join(", ", names) + (truncate.restartIdentity() ? " RESTART IDENTITY" : ""));
        }
        counted();
    }

    // ------------------------------------------------------------------------------ merged tables (many-to-one)

    /*
     * A change of a merged table is applied through the same projections the copy read the table through
     * (LiveMerge, KeyRemapper): its values go in as a one-row subquery with the source's column names, the
     * projections over it give the target's values (keys offset, foreign keys through key_map), and the origin
     * column carries this source's name. UPDATE and DELETE touch only a row with this source's origin and the
     * projected key, so one source never touches another's row.
     */

    private void mergedInsert(Relation r, List<Value> row) throws SQLException {
        LiveMerge m = r.merge();
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < row.size(); i++) {
            all.add(i);
        }
        String values = rawRow(r, all);
        List<String> columns = names(r, all);
        List<String> landing = new ArrayList<>(columns);
        landing.add(m.originColumn());
        PreparedStatement ps = statement(() -> {
            String sql = "INSERT INTO " + r.target().name().quoted() + " (" + quoted(landing, "") + ") SELECT "
                    + quoted(landing, "tributary_row.") + " FROM " + m.projected(values, columns, true)
                    + " AS tributary_row";
            List<String> duplicates = new ArrayList<>();
            for (List<String> key : m.naturalKeys()) {
                duplicates.add("(" + quoted(key, "tributary_other.") + ") = (" + quoted(key, "tributary_row.") + ")");
            }
            if (!duplicates.isEmpty()) { // a new duplicate natural key goes to the conflict strategy instead
                sql += " WHERE NOT EXISTS (SELECT 1 FROM " + r.target().name().quoted() + " AS tributary_other WHERE"
                        + " tributary_other." + Identifiers.quote(m.originColumn()) + " <> " + m.originLiteral()
                        + " AND (" + String.join(" OR ", duplicates) + "))";
            }
            return sql;
        });
        List<Value> bound = List.copyOf(row);
        bindAll(ps, 1, bound);
        LiveMerge.Binder binder = (p, from) -> bindAll(p, from, bound);
        add(ps, "insert into " + r.target().name(), () -> {
            if (losing(r, values, all, bound)) {
                return true; // a losing row of a duplicate: it does not land, as in the copy
            }
            if (m.naturalKeys().isEmpty()) {
                return false;
            }
            LiveMerge.Outcome outcome = m.settleDuplicate(target, r.target().name(), values, binder, columns,
                    "follow:" + plan.source());
            if (outcome != null) {
                rulesChanged = true;
            }
            return outcome != null;
        });
    }

    private void mergedUpdate(Relation r, PgOutputDecoder.Update update) throws SQLException {
        LiveMerge m = r.merge();
        List<Integer> set = new ArrayList<>();
        for (int i = 0; i < update.row().size(); i++) {
            if (!update.row().get(i).unchangedToast()) {
                set.add(i); // an unchanged TOASTed value is not resent: the target keeps its own
            }
        }
        List<Value> identity = update.oldRow() != null ? update.oldRow() : update.row();
        MergedWhere where = mergedWhere(r, identity, update.oldRow() != null && !update.oldIsKeyOnly());
        String newRow = rawRow(r, set);
        List<String> setNames = names(r, set);
        PreparedStatement ps = statement(() -> "UPDATE " + r.target().name().quoted() + " AS tributary_target SET ("
                + quoted(setNames, "") + ") = (SELECT " + quoted(setNames, "tributary_row.") + " FROM "
                + m.projected(newRow, setNames, false) + " AS tributary_row)" + where.sql(m));
        int p = 1;
        for (int i : set) {
            bind(ps, p++, update.row().get(i));
        }
        bindAll(ps, p, where.values);
        add(ps, "update of " + r.target().name() + " " + where.described, where.zeroRows);
    }

    private void mergedDelete(Relation r, PgOutputDecoder.Delete delete) throws SQLException {
        MergedWhere where = mergedWhere(r, delete.oldRow(), !delete.oldIsKeyOnly());
        PreparedStatement ps = statement(() -> "DELETE FROM " + r.target().name().quoted() + " AS tributary_target"
                + where.sql(r.merge()).replaceFirst("^ FROM ", " USING "));
        bindAll(ps, 1, where.values);
        add(ps, "delete from " + r.target().name() + " " + where.described, where.zeroRows);
    }

    /** The old row's identity as projected values, and the condition on the target row of this source's origin. */
    private final class MergedWhere {
        final List<Integer> columns = new ArrayList<>();
        final List<Value> values = new ArrayList<>();
        final String described;
        final boolean full;
        final Relation r;
        final ZeroRows zeroRows;

        MergedWhere(Relation r, List<Value> identity, boolean fullRow) {
            this.r = r;
            List<PgOutputDecoder.Column> cols = r.source().columns();
            full = r.source().identity() == 'f' || fullRow;
            List<String> d = new ArrayList<>();
            for (int i = 0; i < cols.size(); i++) {
                if (!full && !cols.get(i).key() || identity.get(i).unchangedToast()) {
                    continue;
                }
                columns.add(i);
                values.add(identity.get(i));
                if (cols.get(i).key() && d.size() < 4) {
                    d.add(cols.get(i).name() + "=" + identity.get(i).text());
                }
            }
            if (columns.isEmpty()) {
                throw JobFailure.badInput("table " + r.source().schema() + "." + r.source().name() + " publishes no"
                        + " replica identity: ALTER TABLE ... REPLICA IDENTITY FULL (or add a primary key) on the source");
            }
            described = "(" + String.join(", ", d) + ")";
            List<Value> bound = List.copyOf(values);
            zeroRows = () -> losing(r, rawRow(r, columns), columns, bound);
        }

        /** {@code FROM (old row) AS tributary_old WHERE ...}: DELETE turns the FROM into USING. */
        String sql(LiveMerge m) {
            List<String> names = names(r, columns);
            String from = " FROM " + m.projected(rawRow(r, columns), names, false) + " AS tributary_old WHERE ";
            String origin = Identifiers.quote(m.originColumn()) + " = " + m.originLiteral();
            if (!full) {
                List<String> conditions = new ArrayList<>(List.of("tributary_target." + origin));
                for (String n : names) {
                    conditions.add("tributary_target." + Identifiers.quote(n) + " = tributary_old." + Identifiers.quote(n));
                }
                return from + String.join(" AND ", conditions);
            }
            List<String> conditions = new ArrayList<>(List.of("tributary_one." + origin));
            for (String n : names) {
                conditions.add("CAST(tributary_one." + Identifiers.quote(n) + " AS text) IS NOT DISTINCT FROM CAST("
                        + "tributary_old." + Identifiers.quote(n) + " AS text)");
            }
            String rowOf = r.target().partitioned() ? "(tributary_target.tableoid, tributary_target.ctid)"
                    : "tributary_target.ctid";
            String one = r.target().partitioned() ? "tributary_one.tableoid, tributary_one.ctid" : "tributary_one.ctid";
            return from + rowOf + " = (SELECT " + one + " FROM " + r.target().name().quoted() + " AS tributary_one"
                    + " WHERE " + String.join(" AND ", conditions) + " LIMIT 1)";
        }
    }

    private MergedWhere mergedWhere(Relation r, List<Value> identity, boolean fullRow) {
        return new MergedWhere(r, identity, fullRow);
    }

    /**
     * True when the row with these values is a losing row of a duplicate (left out of the target, as by the copy).
     * If not by the rules read so far, they are read again once: another source's follower may just have settled a
     * live duplicate against this row.
     */
    private boolean losing(Relation r, String row, List<Integer> columns, List<Value> values) throws SQLException {
        if (losingByRulesRead(r, row, columns, values)) {
            return true;
        }
        r.merge().refresh(target);
        rulesChanged = true;
        return losingByRulesRead(r, row, columns, values);
    }

    private boolean losingByRulesRead(Relation r, String row, List<Integer> columns, List<Value> values)
            throws SQLException {
        LiveMerge m = r.merge();
        String lands = m.landsPredicate();
        if (lands == null || !names(r, columns).containsAll(m.landsPredicateColumns())) {
            return false;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT " + lands + " FROM " + row + " AS tributary_source")) {
            bindAll(ps, 1, values);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() && !rs.getBoolean(1);
            }
        }
    }

    /** {@code (SELECT CAST(? AS type) AS "column", ...)}: the change's values, typed as the target's columns. */
    private static String rawRow(Relation r, List<Integer> columns) {
        List<String> out = new ArrayList<>();
        for (int i : columns) {
            out.add(cast(r, i) + " AS " + Identifiers.quote(r.source().columns().get(i).name()));
        }
        return "(SELECT " + String.join(", ", out) + ")";
    }

    private static List<String> names(Relation r, List<Integer> columns) {
        return columns.stream().map(i -> r.source().columns().get(i).name()).toList();
    }

    private static String quoted(List<String> names, String prefix) {
        return String.join(", ", names.stream().map(n -> prefix + Identifiers.quote(n)).toList());
    }

    private static int bindAll(PreparedStatement ps, int from, List<Value> values) throws SQLException {
        int p = from;
        for (Value v : values) {
            bind(ps, p++, v);
        }
        return p;
    }

    /** The end of a source transaction; true when the batch is due to commit. */
    void commit(PgOutputDecoder.Commit commit) {
        open = false;
        batchTransactions++;
        batchEndLsn = commit.endLsn();
        batchCommitTime = commit.commitTime();
    }

    boolean inTransaction() {
        return open;
    }

    long batchTransactions() {
        return batchTransactions;
    }

    long batchChanges() {
        return batchChanges;
    }

    double batchSeconds() {
        return batchTransactions == 0 ? 0 : (System.nanoTime() - batchStartedNanos) / 1e9;
    }

    /**
     * Commits the whole source transactions received so far together with their end position; returns that
     * position (0 if there was nothing to commit). Only after this may the slot be told.
     */
    long flush() throws SQLException {
        if (open) {
            throw new IllegalStateException("flush inside a source transaction");
        }
        if (batchTransactions == 0) {
            return 0;
        }
        flushPending();
        ledger.recordApplied(target, plan.source(), plan.slot(), batchEndLsn, batchCommitTime, batchTransactions,
                batchChanges);
        target.commit();
        long lsn = batchEndLsn;
        batchTransactions = 0;
        batchChanges = 0;
        return lsn;
    }

    Instant lastCommitTime() {
        return batchCommitTime;
    }

    /** Throws away what this target transaction holds (a failure mid-batch): nothing half-applied. */
    void rollback() {
        try {
            pending = null;
            pendingWhat.clear();
            rulesChanged = !merges.isEmpty(); // a live duplicate settled in this batch is undone too
            target.rollback();
        } catch (SQLException e) {
            LOG.fine("rollback after a failure failed too: " + e.getMessage());
        }
        batchTransactions = 0;
        batchChanges = 0;
        open = false;
    }

    private record Where(String sql, List<Value> values, String described) {
    }

    /**
     * The row an UPDATE or DELETE means. With a key (primary key or identity index) typed equality on it; with
     * FULL identity (the whole old row) one row whose every column renders the same, picked by ctid so that of
     * two identical rows exactly one is touched.
     */
    private Where where(Relation r, List<Value> identity, boolean fullRow) {
        List<PgOutputDecoder.Column> cols = r.source().columns();
        List<Value> values = new ArrayList<>();
        List<String> conditions = new ArrayList<>();
        List<String> described = new ArrayList<>();
        boolean full = r.source().identity() == 'f' || fullRow;
        for (int i = 0; i < cols.size(); i++) {
            if (!full && !cols.get(i).key()) {
                continue;
            }
            Value v = identity.get(i);
            if (v.unchangedToast()) {
                continue; // not in the WAL record: cannot be compared, and the rest identifies the row
            }
            String column = Identifiers.quote(cols.get(i).name());
            if (full) {
                conditions.add(column + "::text IS NOT DISTINCT FROM " + cast(r, i) + "::text");
            } else {
                conditions.add(column + " = " + cast(r, i));
            }
            values.add(v);
            if (cols.get(i).key() && described.size() < 4) {
                described.add(cols.get(i).name() + "=" + v.text());
            }
        }
        if (conditions.isEmpty()) {
            throw JobFailure.badInput("table " + r.source().schema() + "." + r.source().name() + " publishes no replica"
                    + " identity: ALTER TABLE ... REPLICA IDENTITY FULL (or add a primary key) on the source");
        }
        String what = "(" + String.join(", ", described) + ")";
        if (!full) {
            return new Where(" WHERE " + String.join(" AND ", conditions), values, what);
        }
        String row = r.target().partitioned() ? "(tableoid, ctid)" : "ctid";
        return new Where(" WHERE " + row + " = (SELECT " + row + " FROM " + r.target().name().quoted() + " WHERE "
                + String.join(" AND ", conditions) + " LIMIT 1)", values, what);
    }

    private static String cast(Relation r, int column) {
        return "CAST(? AS " + r.target().columns().get(r.source().columns().get(column).name()).type() + ")";
    }

    private static void bind(PreparedStatement ps, int index, Value value) throws SQLException {
        if (value.kind() == Value.Kind.NULL) {
            ps.setNull(index, Types.OTHER);
        } else {
            ps.setObject(index, value.text(), Types.OTHER); // untyped: the CAST decides
        }
    }

    private PreparedStatement statement(String sql) throws SQLException {
        return statement(() -> sql);
    }

    /**
     * The prepared statement for {@code sql}, once every pending statement of another shape has run. Running them
     * may settle a live duplicate, which changes key_map: then the SQL is built again.
     */
    private PreparedStatement statement(Supplier<String> sql) throws SQLException {
        String text = sql.get();
        PreparedStatement ps = statements.get(text);
        if (pending != null && pending != ps) {
            flushPending();
        }
        if (rulesChanged) {
            rulesChanged = false;
            for (LiveMerge m : merges.values()) {
                m.refresh(target);
            }
            closeStatements();
            text = sql.get();
            ps = null;
        }
        if (ps == null) {
            ps = target.prepareStatement(text);
            statements.put(text, ps);
        }
        return ps;
    }

    private void add(PreparedStatement ps, String what) throws SQLException {
        add(ps, what, null);
    }

    private void add(PreparedStatement ps, String what, ZeroRows zeroRows) throws SQLException {
        ps.addBatch();
        pending = ps;
        pendingWhat.add(new Pending(what, zeroRows));
        counted();
        if (pendingWhat.size() >= 1000) {
            flushPending();
        }
    }

    private void counted() {
        batchChanges++;
        transactionChanges++;
    }

    private void flushPending() throws SQLException {
        if (pending == null) {
            return;
        }
        int[] counts = pending.executeBatch();
        PreparedStatement done = pending;
        pending = null;
        List<Pending> ran = List.copyOf(pendingWhat);
        pendingWhat.clear();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0 && (ran.get(i).zeroRows() == null || !ran.get(i).zeroRows().expected())) {
                String what = ran.get(i).what();
                done.clearBatch();
                throw JobFailure.verificationFailed("the target has no row for the source's " + what
                        + ": the target diverged from the source (rolled back; nothing of this batch applied)",
                        Map.of("change", what));
            }
        }
    }

    @Override
    public void close() {
        closeStatements();
    }

    private void closeStatements() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // closing
            }
        }
        statements.clear();
    }
}
