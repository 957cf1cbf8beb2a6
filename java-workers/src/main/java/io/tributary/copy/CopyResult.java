package io.tributary.copy;

import io.tributary.verify.RelationCounts;

/**
 * The copy's result line (XCom). {@code checksum} is the source's, computed by the source database in the
 * same snapshot as the copy (the sum of its chunks' checksums); {@code target_checksum} is the target's over
 * what landed. {@code chunks}, {@code chunk_key} and {@code parallelism} say how the table was cut (null when
 * the copy was skipped). {@code relationCounts} is the independent check of {@link RelationCounts}: each relation's
 * {@code count(*) FROM ONLY} on both sides (null when the copy was skipped).
 */
public record CopyResult(
        String table,
        String source,
        String target,
        String targetTable,
        long rows,
        String checksum,
        String targetChecksum,
        boolean verified,
        long bytes,
        double seconds,
        String status,
        String format,
        String runId,
        Integer chunks,
        String chunkKey,
        Integer parallelism,
        RelationCounts.Comparison relationCounts) {

    public static final String COPIED = "copied";
    public static final String SKIPPED = "skipped";
}
