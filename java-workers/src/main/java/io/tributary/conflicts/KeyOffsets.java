package io.tributary.conflicts;

/**
 * How far apart the key ranges of instances are put when their surrogate keys collide: the conflicts
 * report proposes it and {@code tributary resolve} applies it, so both say the same.
 */
public final class KeyOffsets {
    private KeyOffsets() {
    }

    /**
     * A power of ten at least ten times the largest key: the n-th source (from 0) adds n × stride, which leaves
     * headroom for rows inserted until cutover and keeps remapped ids readable (1000042 is source 1's 42).
     */
    public static long stride(long maxKey) {
        long stride = 10;
        while (stride < Math.max(maxKey, 1) * 10) {
            stride *= 10;
        }
        return stride;
    }
}
