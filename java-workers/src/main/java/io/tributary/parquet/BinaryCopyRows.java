package io.tributary.parquet;

import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.postgresql.core.BaseConnection;

/**
 * The rows of a query as {@code COPY (query) TO STDOUT (FORMAT binary)} sends them, one at a time: each field's
 * bytes in PostgreSQL's binary send format (see {@link ParquetValues#read(byte[], int, int, ParquetColumn, String)}),
 * or NULL. The COPY streams (TCP back-pressure, no cursor round trips) and runs in the connection's transaction,
 * so a caller's snapshot holds. Closing before the end cancels the COPY, so the connection can roll back.
 */
final class BinaryCopyRows implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BinaryCopyRows.class.getName());
    /** "PGCOPY\n\377\r\n\0": the file header's signature (COPY's documentation, "Binary Format"). */
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};

    private final Connection connection;
    private final CopyOut copy;
    private final int fields;
    private final String table;
    private final int[] offsets;
    private final int[] lengths;
    private byte[] data;
    private boolean headerRead;
    private boolean ended;

    private BinaryCopyRows(Connection connection, CopyOut copy, int fields, String table) {
        this.connection = connection;
        this.copy = copy;
        this.fields = fields;
        this.table = table;
        this.offsets = new int[fields];
        this.lengths = new int[fields];
    }

    /** Starts the COPY of {@code sql}, which must yield {@code fields} columns. */
    static BinaryCopyRows open(Connection connection, String sql, int fields, String table) throws SQLException {
        CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyOut("COPY (" + sql + ") TO STDOUT (FORMAT binary)");
        return new BinaryCopyRows(connection, copy, fields, table);
    }

    /** Moves to the next row; false at the end (the trailer). */
    boolean next() throws SQLException {
        if (ended) {
            return false;
        }
        byte[] message = copy.readFromCopy(); // one CopyData message per row; the header rides with the first
        if (message == null) {
            ended = true;
            return false;
        }
        int pos = 0;
        if (!headerRead) {
            for (int i = 0; i < SIGNATURE.length; i++) {
                if (message[i] != SIGNATURE[i]) {
                    throw JobFailure.failed(table + ": the source's binary COPY has no PGCOPY signature", null);
                }
            }
            int extension = int32(message, SIGNATURE.length + 4);
            pos = SIGNATURE.length + 8 + extension;
            headerRead = true;
        }
        short count = (short) (((message[pos] & 0xff) << 8) | (message[pos + 1] & 0xff));
        if (count == -1) { // the trailer: no more rows (the COPY then ends)
            ended = true;
            while (copy.readFromCopy() != null) {
                // nothing follows the trailer; reading on completes the COPY
            }
            return false;
        }
        if (count != fields) {
            throw JobFailure.failed(table + ": the source's COPY sent " + count + " fields per row, expected " + fields,
                    null);
        }
        pos += 2;
        for (int f = 0; f < fields; f++) {
            int length = int32(message, pos);
            pos += 4;
            offsets[f] = pos;
            lengths[f] = length;
            if (length > 0) {
                pos += length;
            }
        }
        data = message;
        return true;
    }

    /** The current row's bytes (a fresh array per row: values may keep slices of it). */
    byte[] data() {
        return data;
    }

    boolean isNull(int field) {
        return lengths[field] < 0;
    }

    int offset(int field) {
        return offsets[field];
    }

    int length(int field) {
        return lengths[field];
    }

    static int int32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    static long int64(byte[] b, int at) {
        return ((long) int32(b, at) << 32) | (int32(b, at + 4) & 0xffffffffL);
    }

    static int uint16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    /**
     * Before the end (a refused value, a failed upload): the server is asked to cancel the COPY and what it still
     * sends is read to its end, so the connection is ready for the caller's rollback. (pgjdbc's own
     * {@code cancelCopy} of a COPY TO leaves replies behind that the next statement trips over.)
     */
    @Override
    public void close() {
        if (!copy.isActive()) {
            return;
        }
        try {
            connection.unwrap(BaseConnection.class).cancelQuery();
        } catch (SQLException e) {
            LOG.log(Level.FINE, "cancelling the source COPY failed; reading it to its end", e);
        }
        try {
            while (copy.readFromCopy() != null) {
                // discarded
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "the cancelled COPY ended", e); // 57014, query_canceled: as asked
        }
    }
}
