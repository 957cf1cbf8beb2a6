package io.tributary.parquet;

import io.tributary.result.JobFailure;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import org.apache.parquet.io.api.Binary;

/**
 * JDBC values to Parquet values and back, exactly: a value that cannot be carried without loss (a numeric
 * that would round, an infinite timestamp) stops the job with exit 2 naming the column, never a silent change.
 */
public final class ParquetValues {
    private static final OffsetDateTime EPOCH = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private ParquetValues() {
    }

    /** The Parquet value of column {@code index} (1-based) of the current row, or null. */
    public static Object read(ResultSet rs, int index, ParquetColumn column, String table) throws SQLException {
        switch (column.kind()) {
            case BOOLEAN -> {
                boolean v = rs.getBoolean(index);
                return rs.wasNull() ? null : v;
            }
            case INT16, INT32 -> {
                int v = rs.getInt(index);
                return rs.wasNull() ? null : v;
            }
            case INT64 -> {
                long v = rs.getLong(index);
                return rs.wasNull() ? null : v;
            }
            case FLOAT -> {
                float v = rs.getFloat(index);
                return rs.wasNull() ? null : v;
            }
            case DOUBLE -> {
                double v = rs.getDouble(index);
                return rs.wasNull() ? null : v;
            }
            case DECIMAL -> {
                String text = rs.getString(index);
                return text == null ? null : decimal(text, column, table);
            }
            case DATE -> {
                LocalDate d = rs.getObject(index, LocalDate.class);
                if (d == null) {
                    return null;
                }
                if (d.equals(LocalDate.MAX) || d.equals(LocalDate.MIN)) {
                    throw infinite(column, table);
                }
                return (int) d.toEpochDay();
            }
            case TIMESTAMP_UTC -> {
                OffsetDateTime t = rs.getObject(index, OffsetDateTime.class);
                if (t == null) {
                    return null;
                }
                if (t.equals(OffsetDateTime.MAX) || t.equals(OffsetDateTime.MIN)) {
                    throw infinite(column, table);
                }
                return ChronoUnit.MICROS.between(EPOCH, t);
            }
            case TIMESTAMP_LOCAL -> {
                LocalDateTime t = rs.getObject(index, LocalDateTime.class);
                if (t == null) {
                    return null;
                }
                if (t.equals(LocalDateTime.MAX) || t.equals(LocalDateTime.MIN)) {
                    throw infinite(column, table);
                }
                return ChronoUnit.MICROS.between(EPOCH.toLocalDateTime(), t);
            }
            case TEXT, JSON -> {
                String s = rs.getString(index);
                return s == null ? null : Binary.fromString(s);
            }
            case BYTES -> {
                byte[] b = rs.getBytes(index);
                return b == null ? null : Binary.fromConstantByteArray(b);
            }
            default -> throw new IllegalStateException("unmapped kind " + column.kind());
        }
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
