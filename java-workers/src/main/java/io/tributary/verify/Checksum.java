package io.tributary.verify;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Locale;

/**
 * A row count and an order-independent 64-bit checksum, rendered as 16 lowercase hex digits. The
 * checksum is the sum of per-row hashes mod 2^64, so chunk checksums add up to the table checksum
 * ({@link #plus}) and a mismatch can be bisected down to the differing keys.
 */
public record Checksum(long rows, String hex) {
    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    public static final Checksum EMPTY = new Checksum(0, render(0L));

    public Checksum {
        if (hex == null || !hex.matches("[0-9a-f]{16}")) {
            throw new IllegalArgumentException("checksum must be 16 lowercase hex digits: " + hex);
        }
    }

    /** From the database's exact numeric sum of signed 64-bit row hashes. */
    public static Checksum fromSum(long rows, BigDecimal sum) {
        BigInteger exact = sum == null ? BigInteger.ZERO : sum.toBigIntegerExact();
        return new Checksum(rows, render(exact.mod(TWO_TO_64).longValue()));
    }

    /** Combining two disjoint parts: counts add, checksums add mod 2^64 (Java long overflow is exactly that). */
    public Checksum plus(Checksum other) {
        return new Checksum(rows + other.rows, render(value() + other.value()));
    }

    public static Checksum combine(Collection<Checksum> parts) {
        Checksum total = EMPTY;
        for (Checksum part : parts) {
            total = total.plus(part);
        }
        return total;
    }

    public long value() {
        return Long.parseUnsignedLong(hex, 16);
    }

    private static String render(long value) {
        return String.format(Locale.ROOT, "%016x", value);
    }
}
