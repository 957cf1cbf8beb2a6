package io.tributary.copy;

import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ChunkLedger;
import io.tributary.ledger.ChunkLedger.Chunk;
import io.tributary.ledger.TableLedger;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.verify.Checksum;
import io.tributary.verify.RelationCounts;
import io.tributary.verify.TransactionChecksums;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;

/**
 * The target's side of a copy's check, once every chunk has landed. The target database checksums each landed
 * chunk from exactly the rows its transaction wrote ({@code xmin} = that transaction's id), all chunks in one
 * grouped read of the table ({@link TransactionChecksums}, split into page ranges over several connections); a
 * chunk whose checksum matches the source's becomes "copied". Then the chunk checksums add up (mod 2^64) to the
 * table's, and the relations' own row counts ({@link RelationCounts}) are compared where they must agree.
 */
final class CopyVerifier {
    private static final Logger LOG = Logger.getLogger(CopyVerifier.class.getName());

    private final CopyAttempt attempt;
    private final CopyPlanner.Plan plan;
    private final Connection target;
    private final Connection ledger;
    private final ChunkLedger chunks;

    CopyVerifier(CopyAttempt attempt) {
        this.attempt = attempt;
        this.plan = attempt.plan;
        this.target = attempt.target;
        this.ledger = attempt.ledger;
        this.chunks = attempt.chunks;
    }

    /** A verified table: the sums of its chunks' checksums on both sides and the bytes they carried. */
    record Verified(Checksum source, Checksum target, long bytes) {
    }

    /**
     * Adds up the chunks' checksums on both sides once every chunk is verified; a chunk not "copied" by now, or
     * sums that differ, fail the copy.
     */
    Verified sumChunks(long tableId) {
        Checksum sourceSum = Checksum.EMPTY;
        Checksum targetSum = Checksum.EMPTY;
        long bytes = 0;
        List<Chunk> verified;
        try {
            verified = chunks.chunks(ledger, tableId);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
        for (Chunk c : verified) {
            if (!TableLedger.COPIED.equals(c.status())) {
                throw JobFailure.failed("chunk " + c.chunkNo() + " of " + plan.label() + " is " + c.status()
                        + " after verification", null);
            }
            sourceSum = sourceSum.plus(new Checksum(c.rows(), c.sourceChecksum()));
            targetSum = targetSum.plus(new Checksum(c.rows(), c.targetChecksum()));
            bytes += c.bytes() == null ? 0 : c.bytes();
        }
        if (!sourceSum.equals(targetSum)) {
            // Every chunk matched, so only a ledger edited by hand can get here.
            throw mismatch(plan, sourceSum, targetSum, null, null);
        }
        return new Verified(sourceSum, targetSum, bytes);
    }

    /**
     * The target database checksums every landed chunk of the table from the rows its transaction wrote, in
     * one grouped read (split into page ranges, one per connection); matches become "copied", a mismatching
     * chunk's rows are deleted (so a re-run copies it again) and the copy fails naming its key range.
     */
    void verifyLandedChunks(long tableId, RowSelection landed, int parallelism) {
        List<Chunk> toVerify;
        try {
            toVerify = chunks.chunks(ledger, tableId).stream()
                    .filter(c -> TableLedger.LANDED.equals(c.status())).toList();
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
        if (toVerify.isEmpty()) {
            return;
        }
        for (Chunk c : toVerify) {
            if (c.targetXid() == null) { // only a ledger edited by hand lacks it
                throw JobFailure.failed("chunk " + c.chunkNo() + " of " + plan.label() + " is landed without"
                        + " the id of the transaction that wrote it; re-run with --truncate", null);
            }
        }
        TransactionChecksums checksums = new TransactionChecksums(landed);
        List<Long> xids = toVerify.stream().map(c -> TransactionChecksums.xid32(c.targetXid())).toList();
        Map<Long, Checksum> byXid = new java.util.HashMap<>();
        try (RunSummary.Step step = attempt.summary.begin("verify (" + toVerify.size() + " chunks, one target read)")) {
            long pages = TargetTable.pages(target, plan.targetTable());
            int parts = (int) Math.max(1, Math.min(parallelism, pages / 64)); // tiny tables: one query
            long width = (pages + parts - 1) / parts;
            ExecutorService pool = parts > 1 ? Executors.newFixedThreadPool(parts - 1, r -> {
                Thread t = new Thread(r, "verify");
                t.setDaemon(true);
                return t;
            }) : null;
            try {
                List<Future<Map<Long, Checksum>>> others = new ArrayList<>();
                for (int i = 1; i < parts; i++) {
                    long from = i * width;
                    Long to = i == parts - 1 ? null : (i + 1) * width; // the last range is open above
                    others.add(pool.submit(() -> {
                        Connection c = attempt.connections.open(plan.target());
                        try {
                            return checksums.compute(c, xids, from, to);
                        } finally {
                            ConnectionFactory.closeQuietly(c);
                        }
                    }));
                }
                TransactionChecksums.merge(byXid, checksums.compute(target, xids, null, parts > 1 ? width : null));
                for (Future<Map<Long, Checksum>> f : others) {
                    TransactionChecksums.merge(byXid, f.get());
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException sql) {
                    throw DatabaseFault.classify(sql, plan.target());
                }
                throw cause instanceof RuntimeException re ? re : JobFailure.failed(cause.toString(), cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.failed("interrupted", e);
            } finally {
                if (pool != null) {
                    pool.shutdownNow();
                }
            }
            step.rows(byXid.values().stream().mapToLong(Checksum::rows).sum());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
        JobFailure first = null;
        try {
            for (Chunk c : toVerify) {
                Checksum source = new Checksum(c.rows(), c.sourceChecksum());
                Checksum stored = byXid.getOrDefault(TransactionChecksums.xid32(c.targetXid()), Checksum.EMPTY);
                if (stored.equals(source)) {
                    chunks.record(ledger, c.with(TableLedger.COPIED, stored.hex()), attempt.request.run().runId(), null,
                            false);
                    continue;
                }
                JobFailure failure = mismatch(plan, source, stored, c.range(), "the chunk's rows were removed");
                removeChunk(c.with(TableLedger.MISMATCH, stored.hex()), failure.getMessage());
                LOG.warning(failure.getMessage());
                if (first == null) {
                    first = failure;
                }
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
        if (first != null) {
            throw first;
        }
    }

    /** Deletes the rows a mismatching chunk landed and records the mismatch (atomically if the ledger is here). */
    private void removeChunk(Chunk mismatched, String error) throws SQLException {
        try {
            target.setAutoCommit(false);
            execute(target, "DELETE FROM " + TargetTable.ownRows(target, plan.targetTable()) + " WHERE \"xmin\" = '"
                    + TransactionChecksums.xid32(mismatched.targetXid()) + "'::xid");
            if (plan.ledgerInTarget()) {
                chunks.record(target, mismatched, attempt.request.run().runId(), error, false);
            }
            target.commit();
        } catch (SQLException e) {
            ConnectionFactory.rollbackQuietly(target);
            throw DatabaseFault.classify(e, plan.target());
        } finally {
            target.setAutoCommit(true);
        }
        if (!plan.ledgerInTarget()) {
            chunks.record(ledger, mismatched, attempt.request.run().runId(), error, false);
        }
    }

    /** The failure of a check, with both sides' figures and the key range where they differ (null: the table). */
    static JobFailure mismatch(CopyPlanner.Plan plan, Checksum source, Checksum target, KeyRange range,
            String outcome) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("table", plan.table().toString());
        details.put("rows", source.rows());
        details.put("target_rows", target.rows());
        details.put("checksum", source.hex());
        details.put("target_checksum", target.hex());
        details.put("key_range", range == null ? null : range.toString());
        String where = range == null ? "" : " in key range " + describe(range);
        return JobFailure.verificationFailed("verification failed for " + plan.label() + where + ": source "
                + RunSummary.count(source.rows()) + " rows / " + source.hex() + ", target "
                + RunSummary.count(target.rows()) + " rows / " + target.hex()
                + (outcome == null ? "" : " (" + outcome + ")"), details);
    }

    private static String describe(KeyRange range) {
        return range.column() + " [" + (range.lo() == null ? "-inf" : range.lo()) + ", "
                + (range.hi() == null ? "+inf" : range.hi()) + ")";
    }

    /**
     * The check that does not share the copy's SELECT ({@link RelationCounts}): {@code count(*) FROM ONLY} of the
     * table and its partitions, the source in the copy's snapshot, the target now. Only where the target table's
     * rows are exactly this source's rows: not when a row predicate leaves some out (a split, duplicates settled
     * against another instance) or other sources fill the same table (their sum is checked after all of them).
     */
    RelationCounts.Comparison compareRelationCounts(RowSelection selection, boolean severalSources,
            Checksum sourceSum, Checksum targetSum) {
        if (selection.predicate() != null) {
            return new RelationCounts.Comparison("not compared: a row predicate selects part of " + plan.table(),
                    List.of());
        }
        if (severalSources) {
            return new RelationCounts.Comparison("not compared: several sources fill " + plan.targetTable()
                    + " (the verify step adds their figures up)", List.of());
        }
        List<RelationCounts.Relation> sourceRelations;
        List<RelationCounts.Relation> targetRelations;
        try (RunSummary.Step step = attempt.summary.begin("relation counts")) {
            try {
                sourceRelations = RelationCounts.read(attempt.source, plan.table());
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.source());
            }
            try {
                targetRelations = RelationCounts.read(target, plan.targetTable());
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, plan.target());
            }
            step.rows(sourceRelations.stream().mapToLong(RelationCounts.Relation::rows).sum());
        }
        RelationCounts.Comparison comparison = RelationCounts.compare(sourceRelations, targetRelations);
        if (!comparison.agrees()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("table", plan.table().toString());
            details.put("rows", sourceSum.rows());
            details.put("checksum", sourceSum.hex());
            details.put("target_checksum", targetSum.hex());
            details.put("relation_counts", comparison);
            throw JobFailure.verificationFailed("verification failed for " + plan.label() + ": the checksums"
                    + " agree but the relations' own row counts (count(*) FROM ONLY) do not: "
                    + comparison.describeMismatches(), details);
        }
        return comparison;
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }
}
