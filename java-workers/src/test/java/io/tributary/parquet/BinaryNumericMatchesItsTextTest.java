package io.tributary.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.ColumnShape.CanonicalForm;
import io.tributary.result.JobFailure;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.io.api.Binary;
import org.junit.jupiter.api.Test;

/**
 * Stage reads numerics in PostgreSQL's binary form (base-10000 digits) and takes a long-only path when it can. Every
 * value, on either path and for each physical DECIMAL layout, must give exactly the value (or the refusal) the text
 * form gives, which the type round-trip tests check against the database.
 */
class BinaryNumericMatchesItsTextTest {
    private static final List<String> VALUES = List.of("0", "0.0000", "1", "-1", "1.5000", "-0.0001", "0.0001",
            "9999", "10000", "-10000", "12345678.1234", "99999999999999.9999", "-99999999999999.9999",
            "100000000000000.0000", "1.23456789", "123456789012345678901234567890", "0.00000000001", "42.10",
            "-7.00000000", "1E+3", "3.14159265358979323846264338327950288");

    @Test
    void everyValueDecodesAsItsText() {
        List<ParquetColumn> columns = new ArrayList<>();
        for (String type : List.of("numeric(9,2)", "numeric(18,4)", "numeric(18,0)", "numeric(30,10)",
                "numeric(38,6)")) {
            columns.addAll(new TypeMapping(TypeMapping.JsonMapping.TEXT, null).map("t",
                    List.of(ColumnShape.of("v", type, CanonicalForm.NUMERIC))));
            columns.addAll(new TypeMapping(TypeMapping.JsonMapping.TEXT, null, true).map("t",
                    List.of(ColumnShape.of("v", type, CanonicalForm.NUMERIC)))); // Redshift: always FIXED_LEN
        }
        for (ParquetColumn column : columns) {
            for (String text : VALUES) {
                BigDecimal value = new BigDecimal(text);
                if (value.scale() < 0) {
                    value = value.setScale(0);
                }
                String pgText = value.toPlainString();
                byte[] binary = numericSend(value);
                Object fromText;
                try {
                    fromText = ParquetValues.decimal(pgText, column, "t");
                } catch (JobFailure refused) {
                    JobFailure alsoRefused = assertThrows(JobFailure.class,
                            () -> ParquetValues.decimal(binary, 0, column, "t"), column.field() + " " + pgText);
                    assertEquals(refused.getMessage(), alsoRefused.getMessage());
                    continue;
                }
                Object fromBinary = ParquetValues.decimal(binary, 0, column, "t");
                assertEquals(normal(fromText), normal(fromBinary), column.field() + " " + pgText);
            }
        }
    }

    @Test
    void notANumberAndInfinityAreRefusedAsInText() {
        ParquetColumn column = new TypeMapping(TypeMapping.JsonMapping.TEXT, null).map("t",
                List.of(ColumnShape.of("v", "numeric(18,4)", CanonicalForm.NUMERIC))).get(0);
        for (int sign : new int[] {0xC000, 0xD000, 0xF000}) {
            byte[] special = {0, 0, 0, 0, (byte) (sign >> 8), 0, 0, 0};
            JobFailure refused = assertThrows(JobFailure.class, () -> ParquetValues.decimal(special, 0, column, "t"));
            assertEquals(true, refused.getMessage().contains("which DECIMAL cannot carry"), refused.getMessage());
        }
    }

    private static Object normal(Object v) {
        return v instanceof Binary b ? new BigInteger(b.getBytes()) : v;
    }

    /** numeric_send: ndigits, weight, sign, dscale, then base-10000 digits without leading or trailing zero groups. */
    static byte[] numericSend(BigDecimal value) {
        int dscale = value.scale();
        int fractionGroups = (dscale + 3) / 4;
        BigInteger n = value.unscaledValue().abs().multiply(BigInteger.TEN.pow(fractionGroups * 4 - dscale));
        List<Integer> groups = new ArrayList<>();
        BigInteger base = BigInteger.valueOf(10_000);
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(base);
            groups.add(0, qr[1].intValue());
            n = qr[0];
        }
        int weight = groups.size() - 1 - fractionGroups;
        while (!groups.isEmpty() && groups.get(groups.size() - 1) == 0) {
            groups.remove(groups.size() - 1);
        }
        if (groups.isEmpty()) {
            weight = 0;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] header = {groups.size(), weight, value.signum() < 0 ? 0x4000 : 0, dscale};
        for (int h : header) {
            out.write(h >> 8);
            out.write(h);
        }
        for (int g : groups) {
            out.write(g >> 8);
            out.write(g);
        }
        return out.toByteArray();
    }
}
