package io.tributary.copy;

import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.conflicts.TypeWidening;
import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Gets the target ready for one copy, and only once the input is known good: the control schema, the shared
 * schemas and types, the per-table lock, the table itself (created, or given the columns a projection adds), the
 * selection fitted to the target's columns and types; after the copy, the source's primary key if it lacks one.
 */
final class TargetPreparation {
    private static final Logger LOG = Logger.getLogger(TargetPreparation.class.getName());

    private final CopyAttempt attempt;
    private final CopyPlanner.Plan plan;
    private final Connection target;

    TargetPreparation(CopyAttempt attempt) {
        this.attempt = attempt;
        this.plan = attempt.plan;
        this.target = attempt.target;
    }

    /**
     * Only now that the input is known good does anything change on the target side: the control
     * schema, shared schemas and types, then the per-table lock.
     */
    void prepare(TableShape outputShape) {
        try (RunSummary.Step step = attempt.summary.begin("control schema")) {
            plan.controlSchema().ensure(attempt.ledger);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.control());
        }
        try {
            List<UserType> types = attempt.catalog.userTypes(attempt.source, outputShape);
            TargetTable.prepareSharedObjects(target, plan.targetTable(), types);
            target.setAutoCommit(true);
            lockTargetTable();
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
    }

    /**
     * Several sources may target one table (many-to-one); only one copy into it may run at a time, or the
     * row accounting below could race. Session level: released when this worker ends, even by kill -9.
     */
    private void lockTargetTable() throws SQLException {
        try (PreparedStatement ps = target.prepareStatement(
                "SELECT pg_catalog.pg_try_advisory_lock(pg_catalog.hashtextextended(?, 0))")) {
            ps.setString(1, "tributary copy into " + plan.targetTable());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw JobFailure.retryable("another worker is copying into " + plan.targetTable()
                            + " in " + plan.target() + " right now; retry later", null);
                }
            }
        }
    }

    /**
     * The target table as the copy will fill it: created if missing, else given the columns a projection adds.
     */
    TableShape createOrExtend(TableShape shape, TableShape outputShape) {
        try {
            if (!TargetTable.exists(target, plan.targetTable())) {
                // Committed on its own: chunk transactions are independent and all need the table.
                TargetTable.create(target, plan.targetTable(), outputShape);
            }
            TableShape targetShape = attempt.catalog.read(target, plan.targetTable()).orElseThrow();
            // A projection may add a column the source lacks (the merge's origin column): a target table
            // created earlier (by the schema builder, or by a one-to-one copy) gets it here.
            if (TargetTable.addMissingColumns(target, plan.targetTable(), targetShape, outputShape, shape)) {
                targetShape = attempt.catalog.read(target, plan.targetTable()).orElseThrow();
            }
            return targetShape;
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
    }

    /**
     * Every target column, in the target's order: a column this source lacks (another instance has it, so
     * the unified table does) is selected as a typed NULL. Then each source's checksum covers whole target
     * rows, and the sources' checksums add up to the target table's own (which hashes every column in
     * ordinal order), whatever column order or column set each instance has.
     */
    RowSelection alignToTarget(RowSelection selection, TableShape targetShape) {
        List<RowSelection.Projection> byTarget = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (ColumnShape t : targetShape.columns()) {
            Optional<RowSelection.Projection> p = selection.projections().stream()
                    .filter(x -> x.column().name().equals(t.name())).findFirst();
            if (p.isPresent()) {
                // Generated as the target says: the target computes its generated columns (left out of the
                // COPY), and takes the values of a column it does not generate.
                byTarget.add(new RowSelection.Projection(p.get().column().asGenerated(t.generated()),
                        p.get().expression()));
            } else if (t.notNull()) {
                throw JobFailure.badInput("target column " + plan.targetTable() + "." + t.name() + " is NOT NULL"
                        + " and " + plan.source() + "." + plan.table() + " has no such column");
            } else {
                byTarget.add(new RowSelection.Projection(t, "CAST(NULL AS " + t.type() + ")"));
                missing.add(t.name());
            }
        }
        if (!missing.isEmpty()) {
            LOG.info(plan.source() + "." + plan.table() + " lacks " + String.join(", ", missing)
                    + " (present in the target): copied as NULL");
        }
        return selection.withProjections(byTarget);
    }

    RowSelection castToTarget(RowSelection selection, TableShape targetShape) {
        RowSelection out = selection;
        for (RowSelection.Projection p : selection.projections()) {
            Optional<ColumnShape> t = targetShape.column(p.column().name());
            // Only a lossless widening: a cast to a narrower target would round on both sides and hide the loss.
            if (t.isPresent() && !t.get().type().equals(p.column().type()) && TypeWidening.widen(
                    p.column().type(), t.get().type()).filter(w -> w.equals(t.get().type())).isPresent()) {
                LOG.info("casting " + p.column().name() + " from " + p.column().type() + " to the target's "
                        + t.get().type());
                out = out.withProjection(p.column().name(), "CAST((" + p.expression() + ") AS " + t.get().type()
                        + ")", t.get());
            }
        }
        return out;
    }

    void addPrimaryKeyIfMissing(TableShape shape, TableShape targetShape) {
        if (targetShape.primaryKeyIfAny().isPresent() || shape.primaryKeyIfAny().isEmpty()) {
            return;
        }
        try {
            if (TargetTable.partitioned(target, plan.targetTable())) {
                return; // keys of a partitioned table are `tributary schema --phase post-data`'s job
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
        List<String> key = shape.primaryKey().columns();
        try (RunSummary.Step step = attempt.summary.begin("primary key")) {
            String name = TargetTable.addPrimaryKey(target, plan.targetTable(), key);
            LOG.info("added primary key " + name + " (" + String.join(", ", key) + ")");
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, plan.target());
        }
    }
}
