package io.tributary.testing;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** A throwaway database for one test class; dropped (with its connections) on close. */
public final class ScratchDatabase implements AutoCloseable {
    private final String adminUri;
    private final String name;
    private final String uri;

    ScratchDatabase(String adminUri, String name, String uri) {
        this.adminUri = adminUri;
        this.name = name;
        this.uri = uri;
    }

    public String name() {
        return name;
    }

    /** libpq URI of this database, as a TRIBUTARY_CONN_<ID> value. */
    public String uri() {
        return uri;
    }

    public Connection connect() throws SQLException {
        return TestPostgres.connect(uri);
    }

    /** Runs SQL statements (setup); each in autocommit. */
    public void execute(String... statements) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** The single value of a query, as text (null for SQL NULL or no row). */
    public String query(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public long count(String sql) {
        String value = query(sql);
        return value == null ? 0 : Long.parseLong(value);
    }

    @Override
    public void close() {
        // FORCE cannot terminate an autovacuum worker (it runs as the bootstrap superuser) and the test role
        // is not a superuser: after bulk inserts autovacuum may briefly hold the database, so retry a while.
        for (int attempt = 1; ; attempt++) {
            try (Connection c = TestPostgres.connect(adminUri); Statement st = c.createStatement()) {
                // A logical replication slot (follow tests) keeps its database from being dropped.
                st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                        + " WHERE database = '" + name + "' AND active_pid IS NOT NULL");
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE database = '" + name + "' AND NOT active");
                st.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
                return;
            } catch (SQLException e) {
                // 55006: a slot whose walsender was just terminated is still marked active for a moment.
                if (!("42501".equals(e.getSQLState()) || "55006".equals(e.getSQLState())) || attempt == 60) {
                    throw new IllegalStateException("cannot drop scratch database " + name + ": " + e.getMessage(), e);
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while dropping scratch database " + name, e);
            }
        }
    }
}
