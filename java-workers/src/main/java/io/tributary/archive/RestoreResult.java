package io.tributary.archive;

import java.util.List;

/**
 * The restore command's JSON result. {@code status}: {@code restored}, {@code skipped} (the target already holds
 * exactly the archived rows), or with {@code --thaw-only} {@code readable}. {@code catalog_checksum} is the
 * source's figure from the catalog; {@code checksum} is computed by the target database over the restored table.
 */
public record RestoreResult(
        String archiveId,
        String status,
        String target,
        String targetTable,
        long rows,
        String checksum,
        long catalogRows,
        String catalogChecksum,
        boolean verified,
        int objects,
        int objectsReadable,
        boolean s3RestoreRequested,
        List<String> notRestored,
        double seconds) {
}
