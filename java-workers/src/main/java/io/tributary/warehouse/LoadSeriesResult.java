package io.tributary.warehouse;

import java.util.List;

/**
 * {@code tributary load --manifest M --partition W ...}'s result line (XCom): one entry per partition, each loaded
 * in its own verified transaction; {@code rows}/{@code checksum} are the warehouse's figures summed over the series,
 * {@code source_rows}/{@code source_checksum} the stage's; {@code verified} only when every partition is.
 */
public record LoadSeriesResult(
        String table,
        String source,
        String targetTable,
        String dialect,
        long rows,
        String checksum,
        long sourceRows,
        String sourceChecksum,
        boolean verified,
        long bytes,
        double seconds,
        String watermark,
        List<Entry> partitions,
        String runId) {

    public record Entry(String name, String partition, String from, String to, long rows, String checksum,
            long sourceRows, String sourceChecksum, boolean verified, long deletedRows, String manifest) {
    }
}
