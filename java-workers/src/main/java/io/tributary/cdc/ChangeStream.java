package io.tributary.cdc;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * The stream stage: pgoutput messages from a slot, over a replication connection (pgjdbc's replication API).
 * The server is told a position is flushed only after the target committed it ({@link #confirm}), so the slot
 * never forgets a change the target does not have.
 */
final class ChangeStream implements AutoCloseable {
    private final Connection connection;
    private final PGReplicationStream stream;

    ChangeStream(Connection replication, String slot, String publication, long startLsn) throws SQLException {
        this.connection = replication;
        this.stream = replication.unwrap(PGConnection.class).getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(slot)
                .withStartPosition(LogSequenceNumber.valueOf(startLsn))
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", publication)
                .withStatusInterval(10, TimeUnit.SECONDS)
                .start();
    }

    /** The next decoded message, or null when none is waiting (never blocks). */
    PgOutputDecoder.Change poll() throws SQLException {
        ByteBuffer message = stream.readPending();
        return message == null ? null : PgOutputDecoder.decode(message);
    }

    /**
     * How far the server has read the source's WAL for us (XLogData positions and keepalives). With no transaction
     * open, every published change below it has been received.
     */
    long receivedLsn() {
        return stream.getLastReceiveLSN().asLong();
    }

    /** Tells the slot everything up to {@code lsn} is safely in the target: the source may recycle that WAL. */
    void confirm(long lsn) throws SQLException {
        LogSequenceNumber position = LogSequenceNumber.valueOf(lsn);
        stream.setFlushedLSN(position);
        stream.setAppliedLSN(position);
        stream.forceUpdateStatus();
    }

    @Override
    public void close() throws SQLException {
        try {
            stream.close();
        } finally {
            connection.close();
        }
    }
}
