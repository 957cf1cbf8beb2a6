package io.tributary.warehouse;

import io.tributary.parquet.ParquetExport;
import java.util.List;
import java.util.Map;

/**
 * {@code tributary stage}'s result line (XCom). {@code rows}/{@code checksum} are the source database's
 * figures over the partition in target shape ({@code hash}: portable, comparable with Redshift), computed in
 * the snapshot the files were written from.
 */
public record StageResult(
        String table,
        String source,
        String partition,
        String partitionColumn,
        String from,
        String to,
        long rows,
        String checksum,
        String dialect,
        String hash,
        long bytes,
        double seconds,
        String manifest,
        String receipt,
        List<File> files,
        int slices,
        Map<String, ParquetExport.OverLongText> overLongText,
        String watermark,
        String runId,
        StageReceipt.Delta incremental) {

    public record File(String url, long rows, long bytes) {
    }
}
