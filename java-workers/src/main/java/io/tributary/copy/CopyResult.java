package io.tributary.copy;

/**
 * The copy's result line (XCom). {@code checksum} is the source's, computed by the source database in the
 * same snapshot as the copy; {@code target_checksum} is the target's over what landed.
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
        String runId) {

    public static final String COPIED = "copied";
    public static final String SKIPPED = "skipped";
}
