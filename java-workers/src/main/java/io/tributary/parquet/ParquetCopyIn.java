package io.tributary.parquet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Streams a Parquet file into a PostgreSQL table with text-format {@code COPY ... FROM STDIN}: one row group
 * in memory, rows sent in {@link #BATCH_BYTES} batches. The warehouse's PostgreSQL dialect loads staged files
 * this way (what Redshift's {@code COPY ... FORMAT AS PARQUET} does server-side); restores can too.
 */
public final class ParquetCopyIn {
    static final int BATCH_BYTES = 1 << 20;

    private ParquetCopyIn() {
    }

    /** Copies every row of {@code file} into {@code quotedTable}({@code quotedColumns}, in file order). */
    public static long copy(Connection connection, String quotedTable, List<String> quotedColumns, Path file)
            throws SQLException, IOException {
        String sql = "COPY " + quotedTable + " (" + String.join(", ", quotedColumns) + ") FROM STDIN";
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        long rows = 0;
        try (ParquetRowReader reader = new ParquetRowReader(file)) {
            if (reader.fieldNames().size() != quotedColumns.size()) {
                throw new IOException(file.getFileName() + " has " + reader.fieldNames().size()
                        + " columns, the load expects " + quotedColumns.size());
            }
            StringBuilder batch = new StringBuilder(BATCH_BYTES + 4096);
            for (Object[] row; (row = reader.next()) != null; ) {
                for (int i = 0; i < row.length; i++) {
                    if (i > 0) {
                        batch.append('\t');
                    }
                    String text = reader.render(i, row[i]);
                    if (text == null) {
                        batch.append("\\N");
                    } else {
                        escape(text, batch);
                    }
                }
                batch.append('\n');
                rows++;
                if (batch.length() >= BATCH_BYTES) {
                    send(copy, batch);
                }
            }
            send(copy, batch);
            copy.endCopy();
        } catch (SQLException | IOException | RuntimeException e) {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
            throw e;
        } catch (Error e) { // a codec's native library that cannot load (a full temp folder)
            if (copy.isActive()) {
                copy.cancelCopy();
            }
            throw HadoopFreeCodecs.unavailable("Parquet codec", e);
        }
        return rows;
    }

    private static void send(CopyIn copy, StringBuilder batch) throws SQLException {
        if (batch.length() > 0) {
            byte[] bytes = batch.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(bytes, 0, bytes.length);
            batch.setLength(0);
        }
    }

    /** COPY text format: backslash, tab, newline and carriage return are escaped. */
    static void escape(String text, StringBuilder out) {
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
    }

    static String columnList(List<String> quoted) {
        return quoted.stream().collect(Collectors.joining(", "));
    }
}
