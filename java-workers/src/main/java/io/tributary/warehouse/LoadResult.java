package io.tributary.warehouse;

/**
 * {@code tributary load}'s result line (XCom): {@code rows}/{@code checksum} are the warehouse's own figures over
 * the partition after the load, {@code source_rows}/{@code source_checksum} the stage's; {@code verified} when equal.
 */
public record LoadResult(
        String table,
        String source,
        String targetTable,
        String dialect,
        String partition,
        String partitionColumn,
        String from,
        String to,
        long rows,
        String checksum,
        long sourceRows,
        String sourceChecksum,
        String hash,
        boolean verified,
        int files,
        long bytes,
        long deletedRows,
        String watermark,
        String manifest,
        double seconds,
        String runId,
        Touched touched) {

    /** An incremental load's re-verification of the range its delta touched: warehouse vs source figures. */
    public record Touched(String column, String from, String to, long rows, String checksum, long sourceRows,
            String sourceChecksum) {
    }
}
