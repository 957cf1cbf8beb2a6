package io.tributary.parquet;

import io.tributary.result.JobFailure;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.apache.parquet.io.api.Binary;

/**
 * PostgreSQL's binary values to Parquet values and back, exactly: a value that cannot be carried without loss (a
 * numeric that would round, an infinite timestamp) stops the job with exit 2 naming the column, never a silent
 * change.
 */
public final class ParquetValues {
    private static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private ParquetValues() {
    }

    /** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01), which binary timestamps count from. */
    private static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;
    /** Days from the Unix epoch to 2000-01-01, which binary dates count from. */
    private static final int POSTGRES_EPOCH_DAYS = 10_957;
    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    /**
     * The Parquet value of one non-null field in PostgreSQL's binary send format ({@link BinaryCopyRows}):
     * {@code length} bytes of {@code b} from {@code at}. Text-like values are the UTF-8 bytes themselves (the
     * connection's client encoding), kept as a slice of the row's own array, not copied.
     */
    static Object read(byte[] b, int at, int length, ParquetColumn column, String table) {
        switch (column.kind()) {
            case BOOLEAN -> {
                return b[at] != 0;
            }
            case INT16 -> {
                return (int) (short) BinaryCopyRows.uint16(b, at);
            }
            case INT32 -> {
                return BinaryCopyRows.int32(b, at);
            }
            case INT64 -> {
                return BinaryCopyRows.int64(b, at);
            }
            case FLOAT -> {
                return Float.intBitsToFloat(BinaryCopyRows.int32(b, at));
            }
            case DOUBLE -> {
                return Double.longBitsToDouble(BinaryCopyRows.int64(b, at));
            }
            case DECIMAL -> {
                return decimal(b, at, column, table);
            }
            case DATE -> {
                int days = BinaryCopyRows.int32(b, at);
                if (days == Integer.MAX_VALUE || days == Integer.MIN_VALUE) { // DATEVAL_NOEND / NOBEGIN
                    throw infinite(column, table);
                }
                return days + POSTGRES_EPOCH_DAYS;
            }
            case TIMESTAMP_UTC, TIMESTAMP_LOCAL -> {
                long micros = BinaryCopyRows.int64(b, at);
                if (micros == Long.MAX_VALUE || micros == Long.MIN_VALUE) { // DT_NOEND / DT_NOBEGIN
                    throw infinite(column, table);
                }
                return micros + POSTGRES_EPOCH_MICROS;
            }
            case TEXT, JSON, BYTES -> {
                return Binary.fromConstantByteArray(b, at, length);
            }
            default -> throw new IllegalStateException("unmapped kind " + column.kind());
        }
    }

    /**
     * A binary numeric (ndigits, weight, sign, dscale, then base-10000 digits) as the column's DECIMAL value. Small
     * values that fit the scale exactly take a long-only path; everything else (and every refusal) goes through
     * {@link BigDecimal}, so the checks and messages are those of the text form.
     */
    static Object decimal(byte[] b, int at, ParquetColumn column, String table) {
        int ndigits = BinaryCopyRows.uint16(b, at);
        int weight = (short) BinaryCopyRows.uint16(b, at + 2);
        int sign = BinaryCopyRows.uint16(b, at + 4);
        int dscale = BinaryCopyRows.uint16(b, at + 6);
        if (sign == 0xC000) {
            return decimal("NaN", column, table);
        }
        if (sign == 0xD000 || sign == 0xF000) {
            return decimal(sign == 0xD000 ? "Infinity" : "-Infinity", column, table);
        }
        int exponent = 4 * (weight - ndigits + 1) + column.scale(); // unscaled = digits * 10^exponent
        if (ndigits <= 4 && column.precision() <= 18 && exponent > -POW10.length && exponent < POW10.length) {
            long digits = 0;
            for (int i = 0; i < ndigits; i++) {
                digits = digits * 10_000 + BinaryCopyRows.uint16(b, at + 8 + 2 * i);
            }
            long unscaled = -1;
            if (exponent >= 0 && digits <= Long.MAX_VALUE / POW10[exponent]) {
                unscaled = digits * POW10[exponent];
            } else if (exponent < 0 && digits % POW10[-exponent] == 0) {
                unscaled = digits / POW10[-exponent];
            }
            if (unscaled >= 0 && unscaled < POW10[column.precision()]) {
                return decimalOfUnscaled(sign == 0x4000 ? -unscaled : unscaled, column);
            }
        }
        BigInteger digits = BigInteger.ZERO;
        for (int i = 0; i < ndigits; i++) {
            digits = digits.multiply(BigInteger.valueOf(10_000)).add(BigInteger.valueOf(BinaryCopyRows.uint16(b,
                    at + 8 + 2 * i)));
        }
        BigDecimal value = new BigDecimal(sign == 0x4000 ? digits.negate() : digits, 4 * (ndigits - weight - 1))
                .setScale(dscale, RoundingMode.UNNECESSARY); // digits past dscale are zero: PostgreSQL's own text
        return decimal(value.toPlainString(), column, table);
    }

    private static Object decimalOfUnscaled(long unscaled, ParquetColumn column) {
        var physical = column.field().asPrimitiveType().getPrimitiveTypeName();
        if (physical == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32) {
            return (int) unscaled;
        }
        if (physical == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64) {
            return unscaled;
        }
        return fixedBytes(BigInteger.valueOf(unscaled), column);
    }

    static Object decimal(String text, ParquetColumn column, String table) {
        if (text.equals("NaN") || text.contains("Infinity")) {
            throw JobFailure.badInput(table + "." + column.name() + " holds " + text + ", which DECIMAL cannot"
                    + " carry");
        }
        BigDecimal value = new BigDecimal(text);
        BigDecimal scaled;
        try {
            scaled = value.setScale(column.scale(), RoundingMode.UNNECESSARY);
        } catch (ArithmeticException e) {
            throw JobFailure.badInput(table + "." + column.name() + ": value " + text + " does not fit DECIMAL("
                    + column.precision() + "," + column.scale() + ") without rounding (set"
                    + " targets.warehouse.unbounded_numeric to a wider decimal(p,s) or 'text')");
        }
        if (scaled.precision() > column.precision()) {
            throw JobFailure.badInput(table + "." + column.name() + ": value " + text + " has more than "
                    + column.precision() + " digits (DECIMAL(" + column.precision() + "," + column.scale() + "))");
        }
        BigInteger unscaled = scaled.unscaledValue();
        // The field's physical type decides (Redshift's files carry every DECIMAL as FIXED_LEN_BYTE_ARRAY).
        var physical = column.field().asPrimitiveType().getPrimitiveTypeName();
        if (physical == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32) {
            return unscaled.intValueExact();
        }
        if (physical == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT64) {
            return unscaled.longValueExact();
        }
        return fixedBytes(unscaled, column);
    }

    /** A DECIMAL as FIXED_LEN_BYTE_ARRAY: big-endian two's complement, sign-extended to the precision's width. */
    private static Binary fixedBytes(BigInteger unscaled, ParquetColumn column) {
        int width = TypeMapping.decimalBytes(column.precision());
        byte[] raw = unscaled.toByteArray();
        byte[] fixed = new byte[width];
        byte pad = (byte) (unscaled.signum() < 0 ? 0xff : 0x00);
        java.util.Arrays.fill(fixed, 0, width - raw.length, pad);
        System.arraycopy(raw, 0, fixed, width - raw.length, raw.length);
        return Binary.fromConstantByteArray(fixed);
    }

    private static JobFailure infinite(ParquetColumn column, String table) {
        return JobFailure.badInput(table + "." + column.name() + " holds 'infinity', which Parquet and Redshift"
                + " cannot carry");
    }

    /** UTF-8 length of a text value, for the over-long check. */
    static int utf8Bytes(Binary value) {
        return value.length();
    }

    /** A Parquet DECIMAL value (Integer, Long or Binary) back to its number. */
    public static BigDecimal decimalOf(Object v, int scale) {
        if (v instanceof Integer i) {
            return BigDecimal.valueOf(i, scale);
        }
        if (v instanceof Long l) {
            return BigDecimal.valueOf(l, scale);
        }
        return new BigDecimal(new BigInteger(((Binary) v).getBytes()), scale);
    }

    /** Microseconds since the epoch as an instant in UTC. */
    public static OffsetDateTime timestampOf(long micros) {
        return EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    public static String text(Binary value) {
        return new String(value.getBytes(), StandardCharsets.UTF_8);
    }
}
