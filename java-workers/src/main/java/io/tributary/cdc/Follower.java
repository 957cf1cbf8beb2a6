package io.tributary.cdc;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.merge.LiveMerge;
import io.tributary.metrics.JobMetrics;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import org.postgresql.replication.LogSequenceNumber;

/**
 * {@code tributary follow}: change data capture from one source into the target, from the start point the copies
 * read ({@link StartPoint}) through the three stages {@link ChangeStream} → {@link PgOutputDecoder} →
 * {@link ChangeApplier}, until told to stop.
 */
public final class Follower {
    private static final Logger LOG = Logger.getLogger(Follower.class.getName());
    private static final long IDLE_SLEEP_MILLIS = 20;

    /** When to stop and how to batch. {@code untilLsn} null: no position limit. */
    public record Options(Long untilLsn, boolean untilCaughtUp, boolean dropSlot, int batchTransactions,
            double batchSeconds, double progressSeconds) {
    }

    private final ConnectionFactory connections;
    private final RunSummary summary;
    private final JobMetrics metrics;
    private final Runnable pushMetrics;
    private final java.io.PrintStream progress;

    private final AtomicLong lagBytes = new AtomicLong();
    private volatile double lagSeconds;

    public Follower(ConnectionFactory connections, RunSummary summary, JobMetrics metrics, Runnable pushMetrics,
            java.io.PrintStream progress) {
        this.connections = connections;
        this.summary = summary;
        this.metrics = metrics;
        this.pushMetrics = pushMetrics;
        this.progress = progress;
    }

    /** {@code --prepare}: creates the start point and holds its snapshot for the copies until released. */
    public FollowResult prepare(FollowPlan plan, BooleanSupplier stop, double pollSeconds) {
        return prepare(plan, stop, pollSeconds, () -> { });
    }

    /** {@link #prepare} with {@code beforeSlot} run right before the slot is created (its position is then). */
    public FollowResult prepare(FollowPlan plan, BooleanSupplier stop, double pollSeconds, Runnable beforeSlot) {
        long started = System.nanoTime();
        FollowLedger.Slot slot;
        try (var step = summary.begin("hold snapshot")) {
            slot = new StartPoint(connections, plan).prepareAndHold(stop, pollSeconds, beforeSlot);
        }
        String lsn = LogSequenceNumber.valueOf(slot.consistentLsn()).asString();
        return new FollowResult(String.join(",", plan.tableNames()), plan.source(), plan.target(), plan.slot(),
                slot.publication(), FollowResult.PREPARED, 0, 0, lsn, null, null, 0, seconds(started), null, lsn, false);
    }

    /** {@code --prepare --dry-run}: what --prepare would create, checked as --prepare checks it; creates nothing. */
    public Map<String, Object> rehearsePrepare(FollowPlan plan) {
        try (var step = summary.begin("dry run")) {
            return new StartPoint(connections, plan).rehearse();
        }
    }

    /** {@code --release}: tells the --prepare process the copies are done. */
    public FollowResult release(FollowPlan plan) {
        long started = System.nanoTime();
        boolean released = StartPoint.release(connections, plan);
        return new FollowResult(String.join(",", plan.tableNames()), plan.source(), plan.target(), plan.slot(),
                plan.publication(), released ? FollowResult.PREPARED : "not-held", 0, 0, null, null, null, 0,
                seconds(started), null, null, false);
    }

    /**
     * Reads what resolve recorded for each followed table (the same rules the copy read it through), refusing what
     * a follow cannot apply (exit 2, before anything is created): see {@link LiveMerge#of}.
     */
    public static Map<TableRef, LiveMerge> merges(MigrationConfig config, ConnectionFactory connections,
            FollowPlan plan, Connection control) {
        Map<TableRef, LiveMerge> out = new LinkedHashMap<>();
        try (Connection source = connections.open(plan.source())) {
            for (Map.Entry<TableRef, TableRef> e : plan.tables().entrySet()) {
                LiveMerge.of(config, control, source, plan.source(), e.getKey(), plan.target(), e.getValue())
                        .ifPresent(m -> out.put(e.getKey(), m));
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        }
        return out;
    }

    /** {@link #merges} on a connection of its own: the check --prepare makes before creating anything. */
    public static void checkMerges(MigrationConfig config, ConnectionFactory connections, FollowPlan plan) {
        try (Connection control = connections.open(plan.target())) {
            merges(config, connections, plan, control);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
    }

    public FollowResult follow(MigrationConfig config, FollowPlan plan, Options options, BooleanSupplier stop) {
        long started = System.nanoTime();
        metrics.gauge("tributary.follow.lag.bytes", "WAL bytes between the source's current position and the"
                + " last change applied", lagBytes::get);
        metrics.gauge("tributary.follow.lag.seconds", "Age of the oldest source commit not yet applied",
                () -> lagSeconds);
        Connection target = null;
        Connection source = null;
        ChangeStream stream = null;
        FollowLedger.Slot slot;
        try {
            Map<TableRef, TargetTable> tables = new LinkedHashMap<>();
            Map<TableRef, LiveMerge> merges;
            Map<TableRef, TargetTable> sourceTables = new LinkedHashMap<>();
            long applied;
            try (var step = summary.begin("start point")) {
                target = connections.open(plan.target());
                if (!plan.control().exists(target)) {
                    throw noStartPoint(plan);
                }
                plan.control().ensure(target);
                FollowLedger ledger = new FollowLedger(plan.control());
                slot = startPoint(ledger, target, plan);
                for (Map.Entry<TableRef, TableRef> e : plan.tables().entrySet()) {
                    tables.put(e.getKey(), TargetTable.read(target, e.getValue()).orElseThrow(() -> JobFailure.badInput(
                            "target table " + e.getValue() + " does not exist in " + plan.target()
                                    + ": copy " + e.getKey() + " in the slot's snapshot first")));
                }
                applied = ledger.applied(target, plan.source(), plan.slot()).map(FollowLedger.Applied::lsn)
                        .orElse(slot.consistentLsn());
                source = connections.open(plan.source());
                slotOnSource(source, plan);
                merges = merges(config, connections, plan, target);
                for (Map.Entry<TableRef, LiveMerge> e : merges.entrySet()) {
                    TargetTable into = tables.get(e.getKey());
                    if (!into.columns().containsKey(e.getValue().originColumn())) {
                        throw JobFailure.badInput("target table " + into.name() + " has no origin column "
                                + e.getValue().originColumn() + ": it was not created by the merged copy of "
                                + plan.source() + "." + e.getKey() + " (copy it again)");
                    }
                    sourceTables.put(e.getKey(), TargetTable.read(source, e.getKey()).orElseThrow(
                            () -> JobFailure.badInput("table " + e.getKey() + " does not exist in " + plan.source())));
                }
            }
            Long until = options.untilLsn();
            if (options.untilCaughtUp()) {
                long now = caughtUpMark(source);
                until = until == null ? now : Math.min(until, now);
                LOG.info("following until caught up with " + plan.source() + " at " + lsn(until));
            }
            LOG.info("following " + plan.source() + " (slot " + plan.slot() + ") from " + lsn(applied) + " into "
                    + plan.target() + ": " + String.join(", ", plan.tableNames()));
            stream = new ChangeStream(connections.openReplication(plan.source()), plan.slot(), slot.publication(),
                    applied);
            Run run = new Run(plan, options, until, applied, source, stream,
                    new ChangeApplier(target, plan, tables, merges, sourceTables));
            String status;
            try (var step = summary.begin("follow")) {
                try {
                    status = run.loop(stop);
                } catch (SourceChanged changed) {
                    // The batch was rolled back whole; apply again the complete transactions before the changed one,
                    // so that once the target is changed the same way, following resumes exactly at it.
                    stream.close();
                    stream = new ChangeStream(connections.openReplication(plan.source()), plan.slot(),
                            slot.publication(), run.position);
                    Run before = new Run(plan, options, changed.finalLsn, run.position, source, stream,
                            new ChangeApplier(target, plan, tables, merges, sourceTables));
                    before.loop(() -> false);
                    LOG.info("applied " + before.transactions + " transaction(s) up to the source's DDL change at "
                            + lsn(changed.finalLsn));
                    throw changed.failure;
                }
                step.rows(run.changes);
            }
            updateLag(source, run.position, null);
            stream.close();
            stream = null;
            boolean dropped = false;
            if (options.dropSlot()) {
                try (var step = summary.begin("drop slot")) {
                    StartPoint.drop(connections, plan, slot.publication());
                    dropped = true;
                }
            }
            summary.totalRows(run.changes);
            return new FollowResult(String.join(",", plan.tableNames()), plan.source(), plan.target(), plan.slot(),
                    slot.publication(), status, run.changes, run.transactions, lsn(run.position), lagBytes.get(),
                    lagSeconds, Math.max(0, run.position - run.startPosition), seconds(started), null, null, dropped);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.source());
        } finally {
            if (stream != null) {
                try {
                    stream.close();
                } catch (SQLException | RuntimeException ignored) {
                    // the first failure is the one worth reporting
                }
            }
            ConnectionFactory.closeQuietly(source);
            ConnectionFactory.closeQuietly(target);
        }
    }

    private static FollowLedger.Slot startPoint(FollowLedger ledger, Connection control, FollowPlan plan)
            throws SQLException {
        FollowLedger.Slot slot = ledger.slot(control, plan.source(), plan.slot()).orElseThrow(() -> noStartPoint(plan));
        if (FollowLedger.HOLDING.equals(slot.state())) {
            throw JobFailure.badInput("the snapshot of slot " + plan.slot() + " is still held for copies: run"
                    + " tributary follow --release once every copy in it is done");
        }
        if (FollowLedger.DROPPED.equals(slot.state())) {
            throw JobFailure.badInput("slot " + plan.slot() + " of " + plan.source() + " was dropped: prepare a new"
                    + " start point (and copy again in its snapshot)");
        }
        List<String> missing = new ArrayList<>(plan.tableNames());
        missing.removeAll(slot.tables());
        if (!missing.isEmpty()) {
            throw JobFailure.badInput("slot " + plan.slot() + " was prepared for " + String.join(", ", slot.tables())
                    + ", not for " + String.join(", ", missing) + ": their copies are not at its start point");
        }
        return slot;
    }

    /**
     * The slot must still exist on the source, and no other follower may be streaming it. A follower killed a moment
     * ago may still look active until its walsender notices: wait a little, then leave it to a retry (exit 4).
     */
    private static void slotOnSource(Connection source, FollowPlan plan) throws SQLException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (true) {
            try (var ps = source.prepareStatement("SELECT active_pid FROM pg_catalog.pg_replication_slots"
                    + " WHERE slot_name = ? AND database = current_database()")) {
                ps.setString(1, plan.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw JobFailure.badInput("replication slot " + plan.slot() + " no longer exists on "
                                + plan.source() + " (dropped outside tributary?): the changes since the copy are lost"
                                + " to it; prepare a new start point and copy the tables again in its snapshot");
                    }
                    int pid = rs.getInt(1);
                    if (rs.wasNull()) {
                        return;
                    }
                    if (System.nanoTime() > deadline) {
                        throw JobFailure.retryable("slot " + plan.slot() + " on " + plan.source() + " is in use by"
                                + " another process (pid " + pid + "): one follower per slot", null);
                    }
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.retryable("interrupted while waiting for slot " + plan.slot(), e);
            }
        }
    }

    /** A source table changed shape in the transaction committed at {@code finalLsn}. */
    private static final class SourceChanged extends RuntimeException {
        final JobFailure failure;
        final long finalLsn;

        SourceChanged(JobFailure failure, long finalLsn) {
            super(failure.getMessage(), failure, false, false);
            this.failure = failure;
            this.finalLsn = finalLsn;
        }
    }

    private static JobFailure noStartPoint(FollowPlan plan) {
        return JobFailure.badInput("no start point for slot " + plan.slot() + " of " + plan.source()
                + ": run tributary follow --prepare, copy the tables with --snapshot, then --release");
    }

    /** One follow session's state: the position safely in the target, counts, the stop rule. */
    private final class Run {
        final FollowPlan plan;
        final Options options;
        final Long until;
        final long startPosition;
        final Connection source;
        final ChangeStream stream;
        final ChangeApplier applier;
        /** Everything below it is in the target (committed) and confirmed to the slot. */
        long position;
        long changes;
        long transactions;
        /** Commit time of the first source transaction received and not yet committed to the target. */
        Instant oldestPending;
        boolean skipping;
        /** The commit position of the source transaction being applied. */
        long currentFinalLsn;
        /** The first progress line (and push) comes at once: where the follow starts and how far behind it is. */
        long lastProgress = System.nanoTime() - Long.MAX_VALUE / 2;

        Run(FollowPlan plan, Options options, Long until, long start, Connection source, ChangeStream stream,
                ChangeApplier applier) {
            this.plan = plan;
            this.options = options;
            this.until = until;
            this.startPosition = start;
            this.position = start;
            this.source = source;
            this.stream = stream;
            this.applier = applier;
        }

        String loop(BooleanSupplier stop) throws SQLException {
            try {
                while (true) {
                    PgOutputDecoder.Change change = stream.poll();
                    if (change == null) {
                        String ended = idle(stop);
                        if (ended != null) {
                            return ended;
                        }
                        continue;
                    }
                    if (change instanceof PgOutputDecoder.Begin b) {
                        if (b.finalLsn() < position) {
                            skipping = true; // applied before a restart; the slot had not heard of it yet
                            continue;
                        }
                        if (until != null && b.finalLsn() >= until) {
                            flush();
                            return options.untilCaughtUp() ? FollowResult.CAUGHT_UP : FollowResult.REACHED_LSN;
                        }
                        skipping = false;
                        currentFinalLsn = b.finalLsn();
                        if (oldestPending == null) {
                            oldestPending = b.commitTime();
                        }
                        applier.begin();
                    } else if (change instanceof PgOutputDecoder.Relation r) {
                        try {
                            applier.relation(r);
                        } catch (JobFailure f) {
                            if (skipping || !applier.inTransaction()) {
                                throw f;
                            }
                            applier.rollback();
                            throw new SourceChanged(f, currentFinalLsn);
                        }
                    } else if (skipping) {
                        if (change instanceof PgOutputDecoder.Commit) {
                            skipping = false;
                        }
                    } else if (change instanceof PgOutputDecoder.Insert i) {
                        applier.insert(i);
                    } else if (change instanceof PgOutputDecoder.Update u) {
                        applier.update(u);
                    } else if (change instanceof PgOutputDecoder.Delete d) {
                        applier.delete(d);
                    } else if (change instanceof PgOutputDecoder.Truncate t) {
                        applier.truncate(t);
                    } else if (change instanceof PgOutputDecoder.Commit c) {
                        applier.commit(c);
                        if (applier.batchTransactions() >= options.batchTransactions()
                                || applier.batchSeconds() >= options.batchSeconds()) {
                            flush();
                        }
                        if (stop.getAsBoolean()) {
                            flush();
                            return FollowResult.STOPPED;
                        }
                    }
                    progress(false);
                }
            } catch (SQLException | RuntimeException e) {
                applier.rollback();
                throw e;
            } finally {
                applier.close();
            }
        }

        /** Nothing waiting: commit what is complete, then see whether to stop. */
        private String idle(BooleanSupplier stop) throws SQLException {
            if (applier.inTransaction() || skipping) {
                sleep();
                return null;
            }
            flush();
            // With no transaction open, every published change below what the server has read for us is applied:
            // let the slot move on over unrelated WAL (keepalives), or a quiet table would pin the source's WAL.
            long received = stream.receivedLsn();
            if (received > position) {
                position = received;
                stream.confirm(position);
            }
            if (until != null && position >= until) {
                return options.untilCaughtUp() ? FollowResult.CAUGHT_UP : FollowResult.REACHED_LSN;
            }
            if (stop.getAsBoolean()) {
                return FollowResult.STOPPED;
            }
            progress(false);
            sleep();
            return null;
        }

        private void flush() throws SQLException {
            long batchChanges = applier.batchChanges();
            long batchTransactions = applier.batchTransactions();
            long lsn = applier.flush();
            if (lsn > 0) {
                position = Math.max(position, lsn);
                stream.confirm(position); // only now: the target has committed it
                changes += batchChanges;
                transactions += batchTransactions;
                metrics.rows(batchChanges);
                oldestPending = null;
            }
        }

        private void progress(boolean force) {
            long now = System.nanoTime();
            if (!force && (now - lastProgress) / 1e9 < options.progressSeconds()) {
                return;
            }
            lastProgress = now;
            try {
                updateLag(source, position, oldestPending);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }
            progress.println("follow " + plan.source() + ": " + changes + " changes in " + transactions
                    + " transactions applied, at " + lsn(position) + ", lag " + RunSummary.count(lagBytes.get())
                    + " bytes / " + String.format(java.util.Locale.ROOT, "%.1f", lagSeconds) + " s");
            progress.flush();
            pushMetrics.run();
        }

        private void sleep() {
            try {
                Thread.sleep(IDLE_SLEEP_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.retryable("interrupted while following", e);
            }
        }
    }

    /** Lag: WAL bytes from the applied position to the source's current one, and the oldest pending commit's age. */
    private void updateLag(Connection source, long position, Instant oldestPending) throws SQLException {
        lagBytes.set(Math.max(0, currentLsn(source) - position));
        lagSeconds = oldestPending == null ? 0
                : Math.max(0, Duration.between(oldestPending, Instant.now()).toMillis() / 1000.0);
    }

    /**
     * The source's current position, marked by a tiny WAL record (a logical message pgoutput does not publish):
     * the stream is sure to read past it even when the source stays quiet afterwards, while
     * {@code pg_current_wal_lsn()} alone may name a position no record ends at.
     */
    private static long caughtUpMark(Connection source) throws SQLException {
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_logical_emit_message(false, 'tributary',"
                        + " 'follow: caught-up mark')::text")) {
            rs.next();
            return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
        } catch (SQLException e) {
            LOG.fine("no logical message for the caught-up mark (" + e.getMessage() + "): using pg_current_wal_lsn()");
            return currentLsn(source);
        }
    }

    private static long currentLsn(Connection source) throws SQLException {
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_current_wal_lsn()::text")) {
            rs.next();
            return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
        }
    }

    private static String lsn(long value) {
        return LogSequenceNumber.valueOf(value).asString();
    }

    private static double seconds(long startedNanos) {
        return Math.round((System.nanoTime() - startedNanos) / 1e6) / 1000.0;
    }
}
