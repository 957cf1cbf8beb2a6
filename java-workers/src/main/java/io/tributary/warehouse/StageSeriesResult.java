package io.tributary.warehouse;

import java.util.List;

/**
 * {@code tributary stage --partition ...}'s result line (XCom): one entry per partition of the series, each staged
 * in its own snapshot with its own manifest and the source's own figures; {@code rows}/{@code checksum} are their
 * sums (checksums add up mod 2^64). {@code table_rows} counts the whole source table afterwards, so a caller can
 * see whether the series covered every row ({@code rows_outside}: rows in no partition of the series).
 */
public record StageSeriesResult(
        String table,
        String source,
        String partitionColumn,
        long rows,
        String checksum,
        String dialect,
        String hash,
        long bytes,
        double seconds,
        long tableRows,
        long rowsOutside,
        List<Entry> partitions,
        String runId) {

    /** One staged partition: what {@code tributary load --manifest M --partition NAME=FROM/TO} takes back. */
    public record Entry(String name, String partition, String from, String to, long rows, String checksum,
            long bytes, int files, String manifest, String watermark) {
    }
}
