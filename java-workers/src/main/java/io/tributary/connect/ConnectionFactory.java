package io.tributary.connect;

import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.postgresql.Driver;
import org.postgresql.PGProperty;

/**
 * The one connection factory. A connection id ({@code src_eu}) names an environment variable
 * ({@code TRIBUTARY_CONN_SRC_EU}) holding a libpq URI; secrets never travel in argv, config or logs.
 * Every connection gets the same session settings, which is what makes checksums canonical.
 */
public final class ConnectionFactory {
    private static final Logger LOG = Logger.getLogger(ConnectionFactory.class.getName());
    private static final Driver DRIVER = new Driver();
    private static final Pattern CONNECTION_ID = Pattern.compile("^[a-z][a-z0-9_]{0,62}$");

    public static final String ENV_PREFIX = "TRIBUTARY_CONN_";

    /**
     * Session settings on every connection. The first five fix how values render as text (checksums);
     * an empty search_path makes the catalog return schema-qualified names and keeps user objects from
     * shadowing built-ins; statement_timeout=0 because a COPY of a big table is meant to take long.
     */
    public static final Map<String, String> SESSION_SETTINGS = sessionSettings();

    private static Map<String, String> sessionSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("TimeZone", "UTC");
        settings.put("DateStyle", "ISO");
        settings.put("IntervalStyle", "postgres");
        settings.put("extra_float_digits", "1");
        settings.put("bytea_output", "hex");
        settings.put("standard_conforming_strings", "on");
        settings.put("search_path", "");
        settings.put("statement_timeout", "0");
        return Collections.unmodifiableMap(settings);
    }

    private final Map<String, String> env;
    private final String applicationName;

    public ConnectionFactory(Map<String, String> env, String applicationName) {
        this.env = env;
        this.applicationName = applicationName;
    }

    public static String envVarFor(String connectionId) {
        return ENV_PREFIX + connectionId.toUpperCase(Locale.ROOT);
    }

    /** The parsed URI behind a connection id; a missing variable is bad input naming the variable. */
    public ConnectionUri uri(String connectionId) {
        if (connectionId == null || !CONNECTION_ID.matcher(connectionId).matches()) {
            throw JobFailure.badInput("connection id '" + connectionId
                    + "' must be lowercase letters, digits and _ (e.g. src_eu)");
        }
        String variable = envVarFor(connectionId);
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            throw JobFailure.badInput(variable + " is not set (the URI for connection " + connectionId + ")");
        }
        return ConnectionUri.parse(value.strip(), variable).withLibpqDefaults(env);
    }

    /** Opens a connection with the canonical session settings, autocommit on. */
    public Connection open(String connectionId) {
        ConnectionUri uri = uri(connectionId);
        Connection connection;
        try {
            connection = DRIVER.connect(uri.jdbcUrl(), uri.properties(applicationName));
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, connectionId);
        }
        try {
            applySessionSettings(connection);
            LOG.fine(() -> "connected to " + connectionId + " (" + uri + ")");
            return connection;
        } catch (SQLException e) {
            closeQuietly(connection);
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    /**
     * Opens a logical replication connection ({@code replication=database}, simple query protocol) for
     * {@code tributary follow}: it creates slots and streams changes. The canonical session settings travel as
     * startup options, so the values the walsender renders (timestamps, floats, bytea) read the same everywhere.
     */
    public Connection openReplication(String connectionId) {
        ConnectionUri uri = uri(connectionId);
        java.util.Properties props = uri.properties(applicationName);
        PGProperty.REPLICATION.set(props, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(props, "10");
        PGProperty.PREFER_QUERY_MODE.set(props, "simple");
        StringBuilder options = new StringBuilder(PGProperty.OPTIONS.getOrDefault(props) == null ? ""
                : PGProperty.OPTIONS.getOrDefault(props));
        for (Map.Entry<String, String> s : SESSION_SETTINGS.entrySet()) {
            if (!s.getKey().equals("search_path")) { // an empty value cannot travel as a startup option
                options.append(options.length() == 0 ? "" : " ").append("-c ").append(s.getKey()).append('=')
                        .append(s.getValue());
            }
        }
        PGProperty.OPTIONS.set(props, options.toString());
        try {
            return DRIVER.connect(uri.jdbcUrl(), props);
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    static void applySessionSettings(Connection connection) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT ");
        String sep = "";
        for (Map.Entry<String, String> s : SESSION_SETTINGS.entrySet()) {
            sql.append(sep).append("pg_catalog.set_config('").append(s.getKey()).append("', '")
                    .append(s.getValue()).append("', false)");
            sep = ", ";
        }
        try (Statement st = connection.createStatement()) {
            st.execute(sql.toString());
        }
    }

    /** Rolls back an open transaction after a failure; the first error is the one worth reporting. */
    public static void rollbackQuietly(Connection connection) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            LOG.log(Level.FINE, "rollback failed", e);
        }
    }

    public static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing after a failure: the first error is the one worth reporting
        }
    }
}
