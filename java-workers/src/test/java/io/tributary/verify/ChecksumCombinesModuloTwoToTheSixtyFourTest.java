package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChecksumCombinesModuloTwoToTheSixtyFourTest {

    @Test
    void sumIsRenderedModTwoToTheSixtyFourAsSixteenHexDigits() {
        assertEquals("0000000000000000", Checksum.fromSum(0, null).hex());
        assertEquals("ffffffffffffffff", Checksum.fromSum(1, new BigDecimal(-1)).hex());
        // 2^64 + 5 wraps to 5; large negative sums wrap the same way the database's numeric sum does
        assertEquals("0000000000000005", Checksum.fromSum(2, new BigDecimal("18446744073709551621")).hex());
        assertEquals("8000000000000000",
                Checksum.fromSum(2, new BigDecimal(Long.MIN_VALUE)).hex());
    }

    @Test
    void partsAddUpToTheWholeWhateverTheGrouping() {
        long[] rowHashes = {Long.MAX_VALUE, Long.MAX_VALUE, -3, 42, Long.MIN_VALUE, 7};
        BigDecimal whole = BigDecimal.ZERO;
        for (long h : rowHashes) {
            whole = whole.add(BigDecimal.valueOf(h));
        }
        Checksum expected = Checksum.fromSum(rowHashes.length, whole);

        Checksum a = Checksum.fromSum(2, BigDecimal.valueOf(Long.MAX_VALUE).add(BigDecimal.valueOf(Long.MAX_VALUE)));
        Checksum b = Checksum.fromSum(2, BigDecimal.valueOf(-3 + 42));
        Checksum c = Checksum.fromSum(2, BigDecimal.valueOf(Long.MIN_VALUE).add(BigDecimal.valueOf(7)));
        assertEquals(expected, a.plus(b).plus(c));
        assertEquals(expected, c.plus(a.plus(b)));
        assertEquals(expected, Checksum.combine(List.of(b, c, a)));
        assertEquals(6, Checksum.combine(List.of(a, b, c)).rows());
    }
}
