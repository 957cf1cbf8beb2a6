package io.tributary.parquet;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;

/**
 * One Parquet file being written to a stream, Hadoop-free: {@link PlainParquetConfiguration} and
 * {@link HadoopFreeCodecs}. Memory is bounded by one row group ({@link #ROW_GROUP_BYTES}) plus the
 * stream's own buffer. Counts over-long text per column (reported, never truncated).
 */
public final class ParquetFile implements AutoCloseable {
    /** Row groups of 64 MiB: large enough for Redshift's parallel scan, small enough for 2-core workers. */
    public static final long ROW_GROUP_BYTES = 64L * 1024 * 1024;

    private final ParquetWriter<Object[]> writer;
    private final List<ParquetColumn> columns;
    private final long[] overLong;
    private final int[] longestBytes;
    private long rows;

    public ParquetFile(OutputStream out, String name, List<ParquetColumn> columns, CompressionCodecName codec,
            Map<String, String> metadata) throws IOException {
        this.columns = List.copyOf(columns);
        this.overLong = new long[columns.size()];
        this.longestBytes = new int[columns.size()];
        MessageType schema = TypeMapping.schema("row", columns);
        this.writer = new Builder(new StreamOutputFile(out, name), new RowWriteSupport(schema, this.columns, metadata))
                .withConf(new PlainParquetConfiguration())
                .withCodecFactory(new HadoopFreeCodecs())
                .withCompressionCodec(codec)
                .withRowGroupSize(ROW_GROUP_BYTES)
                .build();
    }

    public void write(Object[] row) throws IOException {
        for (int i = 0; i < row.length; i++) {
            int limit = columns.get(i).maxTextBytes();
            if (limit > 0 && row[i] instanceof Binary b) {
                int len = b.length();
                if (len > limit) {
                    overLong[i]++;
                }
                if (len > longestBytes[i]) {
                    longestBytes[i] = len;
                }
            }
        }
        writer.write(row);
        rows++;
    }

    public long rows() {
        return rows;
    }

    /** Bytes written so far plus what is buffered in the current row group. */
    public long dataSize() {
        return writer.getDataSize();
    }

    /** Per column: values longer than the warehouse column can hold (bytes). */
    public long overLong(int column) {
        return overLong[column];
    }

    public int longestBytes(int column) {
        return longestBytes[column];
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }

    private static final class Builder extends ParquetWriter.Builder<Object[], Builder> {
        private final WriteSupport<Object[]> support;

        Builder(OutputFile file, WriteSupport<Object[]> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<Object[]> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
            return support;
        }

        @Override
        protected WriteSupport<Object[]> getWriteSupport(org.apache.parquet.conf.ParquetConfiguration conf) {
            return support;
        }
    }
}
