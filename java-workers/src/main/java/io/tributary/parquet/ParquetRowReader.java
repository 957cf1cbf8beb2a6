package io.tributary.parquet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.HadoopFreeReadOptions;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads a Parquet file row by row (one row group in memory at a time), Hadoop-free. Values come back as
 * the same Java objects {@link ParquetValues} writes: Integer, Long, Boolean, Float, Double, Binary, or null.
 * Used by the warehouse's PostgreSQL dialect (staged files into the staging table), by verification and
 * by restores.
 */
public final class ParquetRowReader implements AutoCloseable {
    private final ParquetFileReader reader;
    private final MessageType schema;
    private PageReadStore rowGroup;
    private RecordReader<Group> records;
    private long leftInGroup;

    public ParquetRowReader(Path file) throws IOException {
        ParquetReadOptions options = HadoopFreeReadOptions.create();
        this.reader = ParquetFileReader.open(new LocalInputFile(file), options);
        this.schema = reader.getFooter().getFileMetaData().getSchema();
    }

    public MessageType schema() {
        return schema;
    }

    public long rowCount() {
        return reader.getRecordCount();
    }

    /** The field names in file order. */
    public List<String> fieldNames() {
        List<String> names = new ArrayList<>();
        for (Type t : schema.getFields()) {
            names.add(t.getName());
        }
        return names;
    }

    /** The next row, or null at the end. */
    public Object[] next() throws IOException {
        while (leftInGroup == 0) {
            rowGroup = reader.readNextRowGroup();
            if (rowGroup == null) {
                return null;
            }
            leftInGroup = rowGroup.getRowCount();
            records = new ColumnIOFactory().getColumnIO(schema).getRecordReader(rowGroup,
                    new GroupRecordConverter(schema));
        }
        Group g = records.read();
        leftInGroup--;
        List<Type> fields = schema.getFields();
        Object[] row = new Object[fields.size()];
        for (int i = 0; i < row.length; i++) {
            if (g.getFieldRepetitionCount(i) == 0) {
                continue;
            }
            PrimitiveType p = fields.get(i).asPrimitiveType();
            row[i] = switch (p.getPrimitiveTypeName()) {
                case BOOLEAN -> g.getBoolean(i, 0);
                case INT32 -> g.getInteger(i, 0);
                case INT64 -> g.getLong(i, 0);
                case FLOAT -> g.getFloat(i, 0);
                case DOUBLE -> g.getDouble(i, 0);
                case BINARY, FIXED_LEN_BYTE_ARRAY -> g.getBinary(i, 0);
                case INT96 -> throw new IOException("INT96 timestamps are not written by tributary");
            };
        }
        return row;
    }

    /** A value rendered as PostgreSQL text input (for COPY ... FROM STDIN), given its field's annotations. */
    public String render(int field, Object value) {
        if (value == null) {
            return null;
        }
        PrimitiveType p = schema.getFields().get(field).asPrimitiveType();
        LogicalTypeAnnotation logical = p.getLogicalTypeAnnotation();
        if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation d) {
            return ParquetValues.decimalOf(value, d.getScale()).toPlainString();
        }
        if (logical instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
            return java.time.LocalDate.ofEpochDay((Integer) value).toString();
        }
        if (logical instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation t) {
            var ts = ParquetValues.timestampOf((Long) value);
            return t.isAdjustedToUTC() ? ts.toString() : ts.toLocalDateTime().toString();
        }
        if (value instanceof Binary b) {
            if (logical == null) {
                return "\\x" + java.util.HexFormat.of().formatHex(b.getBytes());
            }
            return ParquetValues.text(b);
        }
        if (value instanceof Float f) {
            return floatText(f);
        }
        if (value instanceof Double d) {
            return doubleText(d);
        }
        return value.toString();
    }

    private static String floatText(float f) {
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return Float.toString(f);
    }

    private static String doubleText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
