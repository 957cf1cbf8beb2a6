package io.tributary.cdc;

import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.cdc.PgOutputDecoder.Value;
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
    private final List<String> pendingWhat = new ArrayList<>();

    private long batchTransactions;
    private long batchChanges;
    private long batchEndLsn;
    private Instant batchCommitTime;
    private long batchStartedNanos;
    private long transactionChanges;
    private boolean open;

    /** A source relation in this stream, matched to its target table (null target: not followed). */
    private record Relation(PgOutputDecoder.Relation source, TargetTable target) {
    }

    ChangeApplier(Connection target, FollowPlan plan, Map<TableRef, TargetTable> tables) throws SQLException {
        this.target = target;
        this.plan = plan;
        this.ledger = new FollowLedger(plan.control());
        this.tables = tables;
        target.setAutoCommit(false);
    }

    /** Checks a Relation against its target table: a source DDL change stops the follow before any of its rows. */
    void relation(PgOutputDecoder.Relation relation) {
        TableRef name = new TableRef(relation.schema(), relation.name());
        TableRef targetName = plan.tables().get(name);
        if (targetName == null) {
            LOG.fine(() -> "changes of " + name + " are published but not followed: skipped");
            relations.put(relation.oid(), new Relation(relation, null));
            return;
        }
        TargetTable table = tables.get(name);
        List<String> differences = table.differences(relation);
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
        relations.put(relation.oid(), new Relation(relation, table));
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
        for (int oid : truncate.relations()) {
            Relation r = relations.get(oid);
            if (r != null && r.target() != null) {
                names.add(r.target().name().quoted());
            }
        }
        if (names.isEmpty()) {
            return;
        }
        flushPending();
        // Never CASCADE: in the consolidated database other tables may reference these.
        try (Statement st = target.createStatement()) {
            st.execute("TRUNCATE ONLY " + String.join(", ", names) + (truncate.restartIdentity() ? " RESTART IDENTITY" : ""));
        }
        counted();
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
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = target.prepareStatement(sql);
            statements.put(sql, ps);
        }
        if (pending != null && pending != ps) {
            flushPending();
        }
        return ps;
    }

    private void add(PreparedStatement ps, String what) throws SQLException {
        ps.addBatch();
        pending = ps;
        pendingWhat.add(what);
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
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                String what = pendingWhat.get(i);
                pendingWhat.clear();
                done.clearBatch();
                throw JobFailure.verificationFailed("the target has no row for the source's " + what
                        + ": the target diverged from the source (rolled back; nothing of this batch applied)",
                        Map.of("change", what));
            }
        }
        pendingWhat.clear();
    }

    @Override
    public void close() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // closing
            }
        }
    }
}
