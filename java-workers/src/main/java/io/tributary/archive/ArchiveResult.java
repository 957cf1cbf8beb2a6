package io.tributary.archive;

/**
 * The archive command's JSON result (XCom). {@code rows}/{@code checksum}: computed by the source database in
 * the snapshot the rows were read in; {@code archive_rows}/{@code archive_checksum}: recomputed from the objects
 * read back. {@code status}: {@code archived}, or {@code skipped} when a verified archive of the same data exists.
 * {@code clientSideEncryption}: the keyring in words (key id or variable name, never key material), or null.
 */
public record ArchiveResult(
        String table,
        String source,
        String archiveId,
        String status,
        String location,
        long rows,
        String checksum,
        Long archiveRows,
        String archiveChecksum,
        boolean verified,
        long bytes,
        int files,
        String storageClass,
        String encryption,
        String clientSideEncryption,
        String lifecycleRule,
        String retainUntil,
        boolean sourceDropped,
        String dropRefused,
        double seconds) {
}
