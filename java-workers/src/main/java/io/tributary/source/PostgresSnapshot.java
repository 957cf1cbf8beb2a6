package io.tributary.source;

import io.tributary.catalog.Identifiers;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL snapshot, in the manner of pgcopydb's {@code snapshot.c}: one REPEATABLE READ READ ONLY
 * transaction on a coordinator connection, exported with {@code pg_export_snapshot()} when a second reader needs
 * it, imported by further connections with {@code SET TRANSACTION SNAPSHOT}. It can be taken fresh
 * ({@link #open}) or attached to a snapshot exported elsewhere ({@link #attach(ConnectionFactory, String, String)},
 * e.g. the one {@code CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT} holds for {@code tributary follow --prepare}).
 *
 * <p>Connections come from the one {@link ConnectionFactory} (canonical session settings, TLS as the URI says);
 * errors map through {@link DatabaseFault} naming the connection. Nothing here writes or needs a privilege beyond
 * reading: {@code pg_export_snapshot()} works for a read-only role and on a hot standby.
 */
public final class PostgresSnapshot implements SourceSnapshot {
    static final String BEGIN = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

    private final ConnectionFactory connections;
    private final String connectionId;
    private final Connection coordinator;
    private final boolean imported;
    /** Exported on first need only: single-connection readers (checksum, archive, diff) never pay for it. */
    private String id;

    private PostgresSnapshot(ConnectionFactory connections, String connectionId, Connection coordinator, String id) {
        this.connections = connections;
        this.connectionId = connectionId;
        this.coordinator = coordinator;
        this.imported = id != null;
        this.id = id;
    }

    /** Opens a connection and begins a fresh snapshot on it; its first read fixes what the snapshot sees. */
    public static PostgresSnapshot open(ConnectionFactory connections, String connectionId) {
        Connection c = connections.open(connectionId);
        try {
            begin(c);
            return new PostgresSnapshot(connections, connectionId, c, null);
        } catch (SQLException e) {
            ConnectionFactory.closeQuietly(c);
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    /**
     * Opens a connection in a snapshot exported elsewhere. It exists only while its exporter holds it; a vanished
     * one is bad input (prepare it again), not a retry.
     */
    public static PostgresSnapshot attach(ConnectionFactory connections, String connectionId, String snapshotId) {
        Connection c = connections.open(connectionId);
        try {
            begin(c);
            importSnapshot(c, snapshotId);
            return new PostgresSnapshot(connections, connectionId, c, snapshotId);
        } catch (SQLException e) {
            ConnectionFactory.closeQuietly(c);
            if ("22023".equals(e.getSQLState()) || "0A000".equals(e.getSQLState())) {
                throw JobFailure.badInput("snapshot " + snapshotId + " cannot be imported on " + connectionId + " ("
                        + e.getMessage().lines().findFirst().orElse("") + "): it is held only while the process"
                        + " that exported it (tributary follow --prepare) is waiting; prepare it again");
            }
            throw DatabaseFault.classify(e, connectionId);
        } catch (RuntimeException e) {
            ConnectionFactory.closeQuietly(c);
            throw e;
        }
    }

    /** {@link #attach(ConnectionFactory, String, String)} when an id is given, else {@link #open}. */
    public static PostgresSnapshot openOrAttach(ConnectionFactory connections, String connectionId, String snapshotId) {
        return snapshotId == null ? open(connections, connectionId) : attach(connections, connectionId, snapshotId);
    }

    @Override
    public String connectionId() {
        return connectionId;
    }

    @Override
    public Connection connection() {
        return coordinator;
    }

    /** Exports the snapshot on the coordinator on first call: call it while no other reader uses the coordinator. */
    @Override
    public synchronized String id() {
        if (id == null) {
            try (Statement st = coordinator.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_catalog.pg_export_snapshot()")) {
                rs.next();
                id = rs.getString(1);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, connectionId);
            }
        }
        return id;
    }

    @Override
    public boolean imported() {
        return imported;
    }

    /**
     * The transactions the snapshot sees as committed, as {@code xmin:xmax:xip,...} (64-bit ids, PostgreSQL's
     * {@code txid_snapshot} text): a transaction is in the snapshot when its id is below xmin, or below xmax and
     * not listed. Readable by any role, on any supported version and on a standby. Runs on the coordinator.
     */
    public String visibleTransactions() {
        try (Statement st = coordinator.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_catalog.txid_current_snapshot()::text")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    @Override
    public Connection attach() {
        String snapshotId = id();
        Connection c = connections.open(connectionId);
        try {
            begin(c);
            importSnapshot(c, snapshotId);
            return c;
        } catch (SQLException e) {
            ConnectionFactory.closeQuietly(c);
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    @Override
    public void end() {
        try {
            coordinator.commit();
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    @Override
    public void close() {
        ConnectionFactory.closeQuietly(coordinator);
    }

    private static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(BEGIN);
        }
    }

    private static void importSnapshot(Connection c, String snapshotId) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION SNAPSHOT " + Identifiers.literal(snapshotId));
        }
    }
}
