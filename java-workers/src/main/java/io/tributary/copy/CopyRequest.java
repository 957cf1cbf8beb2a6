package io.tributary.copy;

import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;

/**
 * What to copy: a source table into the target (default: the consolidated connection) under a target name
 * (default: consolidate.tables[].target_table, else the source's target_schema, else the same name).
 *
 * <p>{@code shaper} turns the source table's plain selection (every column as is) into the target shape:
 * projections (remapped keys, an origin column) and a row predicate. Copy and checksums both use its result.
 * {@link SelectionShaper#MERGE_DECISIONS} asks the copy to read them from the merge ledger itself.
 * {@code chunking} says how a big table is cut into key ranges copied in parallel. {@code snapshot}, when set, is
 * an exported source snapshot to copy in (a follower's start point, held by {@code tributary follow --prepare})
 * instead of one the copy exports itself.
 */
public record CopyRequest(
        MigrationConfig config,
        String source,
        TableRef table,
        String target,
        TableRef targetTable,
        boolean truncate,
        RunContext run,
        double progressSeconds,
        SelectionShaper shaper,
        Chunking chunking,
        String snapshot) {

    /** Maps the default selection of the source table to the projected one. */
    @FunctionalInterface
    public interface SelectionShaper {
        SelectionShaper IDENTITY = selection -> selection;

        /**
         * This source table's merge decisions as {@code tributary resolve} recorded them (key offsets, remapped
         * references, settled duplicates, an origin column): the copy's planner reads them before it connects.
         */
        SelectionShaper MERGE_DECISIONS = new SelectionShaper() {
            @Override
            public RowSelection shape(RowSelection plain) {
                throw new IllegalStateException("the copy's planner replaces MERGE_DECISIONS before any selection");
            }
        };

        RowSelection shape(RowSelection plain);

        /**
         * A predicate on the target table naming the rows this source landed there (a merge's origin column), so
         * that {@code --truncate} can replace one source's rows of a table several sources fill; null if none.
         */
        default String ownRowsInTarget() {
            return null;
        }
    }

    public CopyRequest {
        shaper = shaper == null ? SelectionShaper.IDENTITY : shaper;
        chunking = chunking == null ? Chunking.DEFAULT : chunking;
    }

    /** The same request with another selection shaper. */
    public CopyRequest withShaper(SelectionShaper other) {
        return new CopyRequest(config, source, table, target, targetTable, truncate, run, progressSeconds, other,
                chunking, snapshot);
    }

    /** A copy in a snapshot of its own. */
    public CopyRequest(MigrationConfig config, String source, TableRef table, String target, TableRef targetTable,
            boolean truncate, RunContext run, double progressSeconds, SelectionShaper shaper, Chunking chunking) {
        this(config, source, table, target, targetTable, truncate, run, progressSeconds, shaper, chunking, null);
    }

    /** A plain one-to-one copy with the default chunking. */
    public CopyRequest(MigrationConfig config, String source, TableRef table, String target, TableRef targetTable,
            boolean truncate, RunContext run, double progressSeconds) {
        this(config, source, table, target, targetTable, truncate, run, progressSeconds, null, null);
    }
}
