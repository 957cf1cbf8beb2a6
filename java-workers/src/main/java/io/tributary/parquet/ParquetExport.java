package io.tributary.parquet;

import io.tributary.metrics.LiveProgress;
import io.tributary.result.JobFailure;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Streams a PostgreSQL query into a fixed number of Parquet files, in constant memory: the query runs as
 * {@code COPY (query) TO STDOUT (FORMAT binary)} ({@link BinaryCopyRows}), whose typed values need no text
 * parsing (a profile of text rows through JDBC: most of the worker's CPU went to parsing and decoding), and each
 * file holds at most one row group in memory. File {@code i} receives {@code rowsPerFile[i]} rows, so the split is decided before
 * the first row (the caller counts the rows in the same snapshot).
 */
public final class ParquetExport {
    /**
     * Where file {@code index} goes (an S3 multipart upload, a local file). Closing the stream commits it; the
     * stream of a file that failed midway is never closed here, so the caller discards it (an upload: abort).
     */
    @FunctionalInterface
    public interface FileTarget {
        OutputStream open(int index) throws IOException;
    }

    public record FileWritten(int index, long rows, long bytes) {
    }

    /** Text longer than its warehouse column: reported, never truncated. */
    public record OverLongText(long values, int longestBytes, int limitBytes) {
    }

    public record Result(List<FileWritten> files, long rows, Map<String, OverLongText> overLongText) {
        public long bytes() {
            return files.stream().mapToLong(FileWritten::bytes).sum();
        }
    }

    private ParquetExport() {
    }

    /**
     * Runs {@code sql} (which must select exactly {@code columns}' {@code selectSql}, in order) on a connection
     * with autocommit off, writing {@code rowsPerFile.length} files. Fewer rows than planned is an error
     * (the snapshot changed under us); so is more.
     */
    public static Result write(Connection connection, String sql, List<ParquetColumn> columns, long[] rowsPerFile,
            CompressionCodecName codec, Map<String, String> metadata, FileTarget target, String table)
            throws SQLException, IOException {
        if (connection.getAutoCommit()) {
            throw new IllegalStateException("ParquetExport needs autocommit off (the COPY runs in the caller's snapshot)");
        }
        HadoopFreeCodecs.load(codec); // before the first file: nothing begun if its library cannot load
        List<FileWritten> files = new ArrayList<>();
        long[] overLong = new long[columns.size()];
        int[] longest = new int[columns.size()];
        long total = 0;
        LiveProgress.addPlanned(java.util.Arrays.stream(rowsPerFile).sum(), rowsPerFile.length);
        try (BinaryCopyRows rows = BinaryCopyRows.open(connection, sql, columns.size(), table)) {
            for (int f = 0; f < rowsPerFile.length; f++) {
                CountingStream out = new CountingStream(target.open(f));
                try (ParquetFile file = new ParquetFile(out, "part-" + f, columns, codec, metadata)) {
                    try {
                        writeRows(rows, file, rowsPerFile[f], columns, table, total);
                    } catch (SQLException | IOException | RuntimeException | Error e) {
                        // Closing the Parquet writer would end a truncated file and commit it (an upload would
                        // complete): its footer and close go nowhere instead, and the caller discards the stream.
                        out.detach();
                        throw e;
                    }
                    for (int c = 0; c < columns.size(); c++) {
                        overLong[c] += file.overLong(c);
                        longest[c] = Math.max(longest[c], file.longestBytes(c));
                    }
                }
                total += rowsPerFile[f];
                files.add(new FileWritten(f, rowsPerFile[f], out.count));
                LiveProgress.streamed(0, out.count);
                LiveProgress.chunkDone();
            }
            if (rows.next()) {
                throw JobFailure.failed(table + ": the query returned more rows than counted in the same"
                        + " snapshot (" + total + ")", null);
            }
        }
        Map<String, OverLongText> report = new LinkedHashMap<>();
        for (int c = 0; c < columns.size(); c++) {
            if (overLong[c] > 0) {
                report.put(columns.get(c).name(), new OverLongText(overLong[c], longest[c],
                        columns.get(c).maxTextBytes()));
            }
        }
        return new Result(List.copyOf(files), total, report);
    }

    private static void writeRows(BinaryCopyRows rows, ParquetFile file, long count, List<ParquetColumn> columns,
            String table, long before) throws SQLException, IOException {
        Object[] row = new Object[columns.size()]; // reused: Parquet keeps values, never the array
        for (long written = 0; written < count; written++) {
            if (!rows.next()) {
                throw JobFailure.failed(table + ": the query returned fewer rows than counted in the same snapshot ("
                        + (before + written) + ")", null);
            }
            for (int c = 0; c < row.length; c++) {
                row[c] = rows.isNull(c) ? null : ParquetValues.read(rows.data(), rows.offset(c), rows.length(c),
                        columns.get(c), table);
            }
            file.write(row);
            LiveProgress.streamed(1, 0); // the file's bytes once it is written (Parquet buffers a row group)
        }
    }

    /** Splits {@code rows} into {@code files} near-equal parts (the first ones one row larger). */
    public static long[] split(long rows, int files) {
        long[] parts = new long[files];
        for (int i = 0; i < files; i++) {
            parts[i] = rows / files + (i < rows % files ? 1 : 0);
        }
        return parts;
    }

    private static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        /** From now on writes and close go nowhere: the real stream is left as it is, uncommitted. */
        void detach() {
            out = OutputStream.nullOutputStream();
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
