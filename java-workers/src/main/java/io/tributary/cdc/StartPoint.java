package io.tributary.cdc;

import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Where the change stream begins: the snapshot the copies read and the slot position the follower streams from
 * are one and the same point (pgcopydb's snapshot.c is the model).
 *
 * <p>The publication comes first (pgoutput reads it as of each change's position, so it must predate the slot),
 * then {@code CREATE_REPLICATION_SLOT ... LOGICAL pgoutput EXPORT_SNAPSHOT} on a replication connection. The
 * exported snapshot shows exactly the transactions committed before the slot's consistent point; every later
 * commit is decoded from the slot. It lives only while that connection stays idle (its next command ends it),
 * so {@code tributary follow --prepare} keeps the connection open and records the snapshot's name and the
 * position in the control schema until {@code tributary follow --release} (or SIGTERM). Copies in other
 * processes (other Airflow tasks, other pods) attach to it with {@code tributary copy --snapshot ID}.
 */
final class StartPoint {
    private static final Logger LOG = Logger.getLogger(StartPoint.class.getName());

    private final ConnectionFactory connections;
    private final FollowPlan plan;
    private final FollowLedger ledger;

    StartPoint(ConnectionFactory connections, FollowPlan plan) {
        this.connections = connections;
        this.plan = plan;
        this.ledger = new FollowLedger(plan.control());
    }

    /**
     * Creates publication and slot, records the start point, then holds the snapshot until released or
     * {@code stop} says so. Returns the start point (state released).
     */
    FollowLedger.Slot prepareAndHold(BooleanSupplier stop, double pollSeconds, Runnable beforeSlot) {
        try (Connection source = connections.open(plan.source());
                Connection control = connections.open(plan.target())) {
            SourceReadiness.check(source, plan.source(), plan.tables().keySet());
            plan.control().ensure(control);
            checkSlotIsFree(source, control);
            boolean createdPublication = ensurePublication(source);
            Connection replication = null;
            try {
                replication = connections.openReplication(plan.source());
                beforeSlot.run(); // the slot's position is taken now, not when this process started
                FollowLedger.Slot slot = createSlot(replication);
                ledger.recordSlot(control, slot);
                LOG.info("holding snapshot " + slot.snapshotName() + " of " + plan.source() + " at "
                        + LogSequenceNumber.valueOf(slot.consistentLsn()).asString() + " (slot " + plan.slot()
                        + "): copy in it with tributary copy --snapshot " + slot.snapshotName()
                        + "; release it with tributary follow --release when every copy is done");
                holdUntilReleased(control, stop, pollSeconds);
                return new FollowLedger.Slot(slot.source(), slot.slotName(), slot.publication(), slot.tables(),
                        slot.consistentLsn(), null, FollowLedger.RELEASED, slot.holder());
            } catch (SQLException | RuntimeException e) {
                if (replication != null && ledger.slot(control, plan.source(), plan.slot()).isEmpty()) {
                    dropQuietly(source, createdPublication); // nothing recorded: leave nothing behind
                }
                throw e;
            } finally {
                ConnectionFactory.closeQuietly(replication); // the snapshot ends here
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
    }

    /**
     * {@code --prepare --dry-run}: every check {@link #prepareAndHold} makes, in the same order and with the same
     * refusals, and what it would create; nothing is. The control schema's creation or upgrade and the publication's
     * CREATE are rehearsed in transactions that are rolled back (so a missing privilege or a table the publication
     * cannot take is refused as the real prepare refuses it), and a replication connection is opened and closed
     * without creating the slot.
     */
    Map<String, Object> rehearse() {
        try (Connection source = connections.open(plan.source());
                Connection control = connections.open(plan.target())) {
            SourceReadiness.check(source, plan.source(), plan.tables().keySet());
            String controlSchema = !plan.control().exists(control) ? "would create"
                    : plan.control().isCurrent(control) ? "present" : "would upgrade";
            boolean createsPublication;
            control.setAutoCommit(false);
            source.setAutoCommit(false);
            try {
                plan.control().ensureWithin(control);
                checkSlotIsFree(source, control);
                createsPublication = ensurePublication(source);
            } finally {
                source.rollback();
                control.rollback();
            }
            ConnectionFactory.closeQuietly(connections.openReplication(plan.source()));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("table", String.join(",", plan.tableNames()));
            out.put("source", plan.source());
            out.put("target", plan.target());
            out.put("status", "dry-run");
            out.put("dry_run", true);
            out.put("slot", plan.slot());
            out.put("plugin", "pgoutput");
            out.put("publication", plan.publication());
            out.put("publication_action", createsPublication ? "would create" : "exists, covers the tables");
            out.put("publication_tables", plan.tableNames());
            out.put("target_tables", plan.tables().entrySet().stream().sorted(Map.Entry.comparingByKey(
                    java.util.Comparator.comparing(TableRef::toString))).map(e -> e.getValue().toString()).toList());
            out.put("control_schema", plan.control().name() + ": " + controlSchema);
            LOG.info("dry run: would create" + (createsPublication ? " publication " + plan.publication() + " and" : "")
                    + " slot " + plan.slot() + " (pgoutput) on " + plan.source() + " for " + String.join(", ",
                    plan.tableNames()) + "; nothing was changed");
            return out;
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
    }

    /** The slot name must be neither prepared in the control schema (unless dropped) nor taken on the source. */
    private void checkSlotIsFree(Connection source, Connection control) throws SQLException {
        var existing = ledger.slot(control, plan.source(), plan.slot());
        if (existing.isPresent() && !FollowLedger.DROPPED.equals(existing.get().state())) {
            throw JobFailure.badInput("slot " + plan.slot() + " of " + plan.source() + " is already prepared (state "
                    + existing.get().state() + "): follow it, or end it with tributary follow --drop-slot first");
        }
        if (slotExists(source)) {
            throw JobFailure.badInput("replication slot " + plan.slot() + " already exists on " + plan.source()
                    + " but not in the control schema: drop it (SELECT pg_drop_replication_slot('" + plan.slot()
                    + "')) or choose another --slot");
        }
    }

    /** Marks the held snapshot released; the --prepare process notices, closes it and ends. */
    static boolean release(ConnectionFactory connections, FollowPlan plan) {
        try (Connection control = connections.open(plan.target())) {
            plan.control().ensure(control);
            FollowLedger ledger = new FollowLedger(plan.control());
            var slot = ledger.slot(control, plan.source(), plan.slot()).orElseThrow(() -> JobFailure.badInput(
                    "no slot " + plan.slot() + " of " + plan.source() + " was prepared (run tributary follow --prepare)"));
            return ledger.transition(control, plan.source(), plan.slot(), FollowLedger.HOLDING, FollowLedger.RELEASED)
                    || FollowLedger.RELEASED.equals(slot.state());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
    }

    /** Drops slot and publication on the source (a forgotten slot pins WAL) and records it. */
    static void drop(ConnectionFactory connections, FollowPlan plan, String publication) {
        try (Connection source = connections.open(plan.source());
                Connection control = connections.open(plan.target())) {
            try (PreparedStatement ps = source.prepareStatement("SELECT pg_catalog.pg_drop_replication_slot(slot_name)"
                    + " FROM pg_catalog.pg_replication_slots WHERE slot_name = ? AND database = current_database()")) {
                ps.setString(1, plan.slot());
                ps.execute();
            }
            try (Statement st = source.createStatement()) {
                st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(publication));
            }
            FollowLedger ledger = new FollowLedger(plan.control());
            for (String from : List.of(FollowLedger.HOLDING, FollowLedger.RELEASED)) {
                ledger.transition(control, plan.source(), plan.slot(), from, FollowLedger.DROPPED);
            }
            LOG.info("dropped slot " + plan.slot() + " and publication " + publication + " on " + plan.source());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
    }

    private boolean slotExists(Connection source) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement(
                "SELECT EXISTS (SELECT FROM pg_catalog.pg_replication_slots WHERE slot_name = ?)")) {
            ps.setString(1, plan.slot());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Creates the publication over the followed tables, or accepts one a DBA created with that name (the owner of
     * the tables may have to: CREATE PUBLICATION needs ownership) if it covers them. True if created here.
     */
    private boolean ensurePublication(Connection source) throws SQLException {
        try (PreparedStatement ps = source.prepareStatement("SELECT schemaname, tablename FROM"
                + " pg_catalog.pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, plan.publication());
            Set<String> covered = new HashSet<>();
            boolean exists;
            try (PreparedStatement e = source.prepareStatement(
                    "SELECT EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = ?)")) {
                e.setString(1, plan.publication());
                try (ResultSet rs = e.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            if (exists) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        covered.add(new TableRef(rs.getString(1), rs.getString(2)).toString());
                    }
                }
                List<String> missing = plan.tableNames().stream().filter(t -> !covered.contains(t)).toList();
                if (!missing.isEmpty()) {
                    throw JobFailure.badInput("publication " + plan.publication() + " exists on " + plan.source()
                            + " but does not cover " + String.join(", ", missing) + ": ALTER PUBLICATION "
                            + Identifiers.quote(plan.publication()) + " ADD TABLE ...");
                }
                return false;
            }
        }
        StringBuilder sql = new StringBuilder("CREATE PUBLICATION " + Identifiers.quote(plan.publication())
                + " FOR TABLE ");
        String sep = "";
        for (TableRef table : plan.tables().keySet()) {
            sql.append(sep).append(table.quoted());
            sep = ", ";
        }
        sql.append(" WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)");
        try (Statement st = source.createStatement()) {
            st.execute(sql.toString());
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw JobFailure.badInput("cannot create publication " + plan.publication() + " on " + plan.source()
                        + " (" + e.getMessage().lines().findFirst().orElse("") + "): have the tables' owner run "
                        + sql + ", then prepare again");
            }
            throw e;
        }
        return true;
    }

    private FollowLedger.Slot createSlot(Connection replication) throws SQLException {
        try (Statement st = replication.createStatement();
                ResultSet rs = st.executeQuery("CREATE_REPLICATION_SLOT " + Identifiers.quote(plan.slot())
                        + " LOGICAL pgoutput EXPORT_SNAPSHOT")) {
            rs.next();
            long lsn = LogSequenceNumber.valueOf(rs.getString("consistent_point")).asLong();
            return new FollowLedger.Slot(plan.source(), plan.slot(), plan.publication(), plan.tableNames(), lsn,
                    rs.getString("snapshot_name"), FollowLedger.HOLDING, ManagementFactory.getRuntimeMXBean().getName());
        }
    }

    private void holdUntilReleased(Connection control, BooleanSupplier stop, double pollSeconds)
            throws SQLException {
        long pollMillis = Math.max(50, Math.round(pollSeconds * 1000));
        while (true) {
            var slot = ledger.slot(control, plan.source(), plan.slot());
            if (slot.isEmpty() || !FollowLedger.HOLDING.equals(slot.get().state())) {
                LOG.info("snapshot released: closing it");
                return;
            }
            if (stop.getAsBoolean()) {
                ledger.transition(control, plan.source(), plan.slot(), FollowLedger.HOLDING, FollowLedger.RELEASED);
                LOG.info("asked to stop: snapshot released");
                return;
            }
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.retryable("interrupted while holding the snapshot", e);
            }
        }
    }

    private void dropQuietly(Connection source, boolean publication) {
        try (Statement st = source.createStatement()) {
            st.execute("SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots"
                    + " WHERE slot_name = " + Identifiers.literal(plan.slot()));
            if (publication) {
                st.execute("DROP PUBLICATION IF EXISTS " + Identifiers.quote(plan.publication()));
            }
        } catch (SQLException e) {
            LOG.warning("could not clean up slot/publication " + plan.slot() + " on " + plan.source() + ": "
                    + e.getMessage());
        }
    }
}
