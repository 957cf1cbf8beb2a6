package io.tributary.copy;

import io.tributary.connect.DatabaseFault;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Pumps {@code COPY ... TO STDOUT} on the source straight into {@code COPY ... FROM STDIN} on the target,
 * one protocol message at a time: constant memory, no temporary files. Whichever side fails, the other
 * side's COPY is cancelled so both transactions can roll back cleanly.
 */
final class CopyStream {
    private static final Logger LOG = Logger.getLogger(CopyStream.class.getName());
    /** Batches the per-row source messages into larger CopyData messages for the target. */
    private static final int WRITE_BUFFER = 1 << 16;

    record Streamed(long rows, long bytes) {
    }

    private CopyStream() {
    }

    /**
     * {@code binary}: the COPY is in binary format, whose trailer arrives as one more message after the last
     * row (the header rides with the first row), so rows = messages - 1.
     */
    static Streamed pump(Connection source, String sourceId, String copyOutSql,
            Connection target, String targetId, String copyInSql, CopyProgress progress, boolean binary) {
        CopyOut out;
        try {
            out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(copyOutSql);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, sourceId);
        }
        CopyIn in;
        try {
            in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(copyInSql);
        } catch (SQLException e) {
            cancel(out);
            throw DatabaseFault.classify(e, targetId);
        }
        PGCopyOutputStream sink = new PGCopyOutputStream(in, WRITE_BUFFER);
        long bytes = 0;
        long messages = 0;
        // COPY TO sends one CopyData message per row (binary: plus the trailer).
        try {
            byte[] data;
            while (true) {
                try {
                    data = out.readFromCopy();
                } catch (SQLException e) {
                    cancel(in);
                    throw DatabaseFault.classify(e, sourceId);
                }
                if (data == null) {
                    break;
                }
                try {
                    sink.write(data);
                } catch (IOException e) {
                    cancel(out);
                    cancel(in);
                    throw DatabaseFault.classify(asSqlException(e), targetId);
                }
                bytes += data.length;
                messages++;
                progress.streamed(1, data.length);
            }
            try {
                long landed = sink.endCopy();
                long sent = binary ? Math.max(0, messages - 1) : messages;
                if (binary && messages > 0) {
                    progress.discard(1, 0); // the trailer message is no row
                }
                if (landed != sent) {
                    LOG.warning("the target reports " + landed + " rows landed, the source sent " + sent);
                }
                return new Streamed(landed, bytes);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, targetId);
            }
        } catch (RuntimeException e) {
            cancel(out);
            cancel(in);
            throw e;
        }
    }

    /** PGCopyOutputStream reports target errors as IOException wrapping the server's SQLException. */
    private static SQLException asSqlException(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return new SQLException(e.getMessage(), "08006", e);
    }

    private static void cancel(CopyOut out) {
        try {
            if (out.isActive()) {
                out.cancelCopy();
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "cancelling the source COPY failed", e);
        }
    }

    private static void cancel(CopyIn in) {
        try {
            if (in.isActive()) {
                in.cancelCopy();
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "cancelling the target COPY failed", e);
        }
    }
}
