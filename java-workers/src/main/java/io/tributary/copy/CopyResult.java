package io.tributary.copy;

import io.tributary.verify.RelationCounts;

/**
 * The copy's result line (XCom). {@code checksum} is the source's, computed by the source database in the
 * same snapshot as the copy (the sum of its chunks' checksums); {@code target_checksum} is the target's over
 * what landed. {@code chunks}, {@code chunk_key} and {@code parallelism} say how the table was cut (null when
 * the copy was skipped). {@code relationCounts} is the independent check of {@link RelationCounts}: each relation's
 * {@code count(*) FROM ONLY} on both sides (null when the copy was skipped).
 *
 * <p>{@code source_snapshot} names the source snapshot every row of the table was read in: the hand-off to a
 * change-data-capture follower, which must start exactly where that snapshot ends (see {@link SourceSnapshot}).
 * Null when the copy was skipped, or when it resumed chunks an earlier attempt read in another snapshot.
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
        RelationCounts.Comparison relationCounts,
        SourceSnapshot sourceSnapshot) {

    /**
     * The source snapshot a copy read in. {@code id} is PostgreSQL's snapshot name: valid only while the copy (or,
     * when {@code imported}, the process that exported it, e.g. {@code tributary follow --prepare}) holds it, so
     * afterwards it identifies rather than attaches. {@code imported}: true when the copy attached to a snapshot
     * exported elsewhere ({@code --snapshot}); for a replication slot's snapshot the follower's start LSN is the
     * slot's consistent point, recorded by {@code follow --prepare} in the control schema. {@code transactions}
     * ({@code xmin:xmax:xip,...}, 64-bit ids as {@code txid_current_snapshot()} renders them) says which source
     * transactions the copied rows include: a transaction is in them when its id is below xmin, or below xmax and
     * not listed. A follower whose slot was created before this snapshot can therefore skip exactly the decoded
     * transactions in it and apply the rest, so nothing is applied twice or missed (the follower does not do this
     * today: it starts from its own slot's snapshot, into which the copies attach).
     */
    public record SourceSnapshot(String id, boolean imported, String transactions) {
    }

    public static final String COPIED = "copied";
    public static final String SKIPPED = "skipped";
}
