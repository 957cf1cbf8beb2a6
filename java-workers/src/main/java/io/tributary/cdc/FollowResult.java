package io.tributary.cdc;

/**
 * The follow's result line (XCom). {@code rows} are the changes applied by this run (inserted, updated, deleted
 * rows and truncates), {@code transactions} the source transactions they came in, {@code lastLsn} the end of the
 * last one (also recorded in the control schema), {@code lagBytes}/{@code lagSeconds} the distance to the source
 * when the follow ended, {@code bytes} the WAL the stream advanced over. There is no checksum: a follow moves
 * changes, {@code tributary diff} verifies tables. {@code snapshot} and {@code consistentLsn} describe a prepared
 * start point.
 */
public record FollowResult(
        String table,
        String source,
        String target,
        String slot,
        String publication,
        String status,
        long rows,
        long transactions,
        String lastLsn,
        Long lagBytes,
        Double lagSeconds,
        long bytes,
        double seconds,
        String snapshot,
        String consistentLsn,
        boolean slotDropped) {

    public static final String PREPARED = "released";
    public static final String CAUGHT_UP = "caught-up";
    public static final String REACHED_LSN = "reached-lsn";
    public static final String STOPPED = "stopped";
}
