package io.tributary.diff;

import io.tributary.catalog.TableRef;
import java.util.List;

/**
 * What to compare: a source table against a target table, by key.
 *
 * @param key             key columns (unique on both sides); null means the source's (else the target's) primary key
 * @param columns         compared columns in target-shape order; null means all of the source's columns
 * @param maxDifferences  stop after this many differing keys ("truncated")
 * @param segments        segments per bisection pass
 * @param leafRows        a segment with at most this many rows (on either side) is compared row by row
 * @param sourceKeyOffset the source's key as the target has it: source key + offset (0: keys are not remapped)
 */
public record DiffRequest(
        String source,
        TableRef table,
        String target,
        TableRef targetTable,
        List<String> key,
        List<String> columns,
        int maxDifferences,
        int segments,
        int leafRows,
        long sourceKeyOffset,
        Merged merged) {

    /**
     * A target table fed by several instances (many-to-one): the source as the copy projected it (key offset,
     * remapped foreign keys, losing duplicates left out) against this source's rows of the target only.
     */
    public record Merged(long keyOffset, java.util.Map<String, String> projections, String sourceFilter,
            String targetFilter) {
    }

    public DiffRequest(String source, TableRef table, String target, TableRef targetTable, List<String> key,
            List<String> columns, int maxDifferences, int segments, int leafRows, long sourceKeyOffset) {
        this(source, table, target, targetTable, key, columns, maxDifferences, segments, leafRows, sourceKeyOffset,
                null);
    }
}
