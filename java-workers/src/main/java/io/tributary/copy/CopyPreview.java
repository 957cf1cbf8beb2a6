package io.tributary.copy;

/**
 * {@code tributary copy --dry-run}'s result line: what the copy would do, decided by the same rules as the copy
 * and by reads only. {@code action}: {@code copy}, {@code resume} (chunks of an earlier attempt are kept),
 * {@code skip} (already copied, same selection), {@code truncate then copy}, {@code remove this source's rows then
 * copy}; a copy that would be refused is refused the same way (exit 2). {@code rows}: the source's rows in its
 * snapshot now; {@code chunks}: the stored plan if there is one, else the plan the copy would make;
 * {@code select}: the SELECT the chunks read (keys projected as resolve decided; where the target table exists,
 * the copy also casts each column to the target's type).
 */
public record CopyPreview(
        String table,
        String source,
        String target,
        String targetTable,
        String status,
        String action,
        boolean targetExists,
        long targetRows,
        long rows,
        int chunks,
        int chunksDone,
        String chunkKey,
        String chunkMethod,
        int parallelism,
        String select,
        String runId) {

    public static final String DRY_RUN = "dry-run";
}
