package io.tributary.connect;

import io.tributary.result.JobFailure;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.postgresql.PGProperty;

/**
 * A libpq connection URI ({@code postgresql://user:pw@host:port/db?sslmode=require}, also {@code postgres://}
 * and multi-host {@code host1:5432,host2:5432}) turned into a pgjdbc URL and properties. The password is
 * kept out of {@link #toString()} and out of every error message.
 */
public final class ConnectionUri {

    /** libpq query parameters we understand, mapped to pgjdbc properties. */
    private static final Map<String, PGProperty> PARAMETERS = Map.ofEntries(
            Map.entry("sslmode", PGProperty.SSL_MODE),
            Map.entry("sslcert", PGProperty.SSL_CERT),
            Map.entry("sslkey", PGProperty.SSL_KEY),
            Map.entry("sslrootcert", PGProperty.SSL_ROOT_CERT),
            Map.entry("sslpassword", PGProperty.SSL_PASSWORD),
            Map.entry("application_name", PGProperty.APPLICATION_NAME),
            Map.entry("connect_timeout", PGProperty.CONNECT_TIMEOUT),
            Map.entry("options", PGProperty.OPTIONS),
            Map.entry("gssencmode", PGProperty.GSS_ENC_MODE),
            Map.entry("channel_binding", PGProperty.CHANNEL_BINDING),
            Map.entry("target_session_attrs", PGProperty.TARGET_SERVER_TYPE),
            Map.entry("keepalives", PGProperty.TCP_KEEP_ALIVE));
    private static final Set<String> CONNECTION_PARTS = Set.of("user", "password", "dbname", "host", "port");
    private static final Map<String, String> TARGET_SESSION_ATTRS = Map.of(
            "any", "any", "read-write", "primary", "primary", "primary",
            "read-only", "secondary", "standby", "secondary", "prefer-standby", "preferSecondary");

    private final List<String> hosts;
    private final String database;
    private final String user;
    private final String password;
    private final Map<String, String> parameters;

    private ConnectionUri(List<String> hosts, String database, String user, String password,
            Map<String, String> parameters) {
        this.hosts = List.copyOf(hosts);
        this.database = database;
        this.user = user;
        this.password = password;
        this.parameters = Collections.unmodifiableMap(parameters);
    }

    /**
     * Parses a libpq URI. {@code origin} names where it came from (the environment variable) for messages;
     * a malformed URI is bad input (exit 2).
     */
    public static ConnectionUri parse(String uri, String origin) {
        String rest;
        if (uri.startsWith("postgresql://")) {
            rest = uri.substring("postgresql://".length());
        } else if (uri.startsWith("postgres://")) {
            rest = uri.substring("postgres://".length());
        } else {
            throw JobFailure.badInput(origin + " must be a postgresql:// or postgres:// URI");
        }
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        // The userinfo ends at the last '@' (a password with an unencoded '@' still parses).
        String userInfo = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
        }
        String hostSpec = rest;
        String database = null;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            hostSpec = rest.substring(0, slash);
            database = decode(rest.substring(slash + 1), origin, "database name");
        }

        String user = null;
        String password = null;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo, origin, "user name");
            password = colon >= 0 ? decode(userInfo.substring(colon + 1), origin, "password") : null;
        }

        Map<String, String> params = new LinkedHashMap<>();
        String queryHost = null;
        String queryPort = null;
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq >= 0 ? pair.substring(0, eq) : pair, origin, "parameter name");
                String value = eq >= 0 ? decode(pair.substring(eq + 1), origin, "parameter " + key) : "";
                switch (key) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    case "dbname" -> database = value;
                    case "host" -> queryHost = value;
                    case "port" -> queryPort = value;
                    default -> {
                        if (!PARAMETERS.containsKey(key)) {
                            Set<String> known = new TreeSet<>(PARAMETERS.keySet());
                            known.addAll(CONNECTION_PARTS);
                            throw JobFailure.badInput(origin + ": unsupported URI parameter '" + key + "' (supported: "
                                    + String.join(", ", known) + ")");
                        }
                        params.put(key, value);
                    }
                }
            }
        }
        List<String> hosts = hosts(queryHost != null ? queryHost : decode(hostSpec, origin, "host"), queryPort, origin);
        if (database == null || database.isEmpty()) {
            database = user; // libpq's default: the database named like the user
        }
        if (user == null || user.isEmpty()) {
            throw JobFailure.badInput(origin + ": the URI names no user (postgresql://user:password@host:port/db)");
        }
        String tsa = params.get("target_session_attrs");
        if (tsa != null && !TARGET_SESSION_ATTRS.containsKey(tsa)) {
            throw JobFailure.badInput(origin + ": unsupported target_session_attrs '" + tsa + "'");
        }
        return new ConnectionUri(hosts, database, user, password, params);
    }

    private static List<String> hosts(String hostSpec, String queryPort, String origin) {
        List<String> hosts = new ArrayList<>();
        if (hostSpec.isEmpty()) {
            hostSpec = "localhost";
        }
        for (String entry : hostSpec.split(",")) {
            String host = entry;
            String port = queryPort;
            if (entry.startsWith("[")) { // IPv6 literal
                int close = entry.indexOf(']');
                if (close < 0) {
                    throw JobFailure.badInput(origin + ": malformed IPv6 host '" + entry + "'");
                }
                host = entry.substring(0, close + 1);
                if (entry.length() > close + 1 && entry.charAt(close + 1) == ':') {
                    port = entry.substring(close + 2);
                }
            } else if (entry.contains(":")) {
                host = entry.substring(0, entry.indexOf(':'));
                port = entry.substring(entry.indexOf(':') + 1);
            }
            if (host.startsWith("/")) {
                throw JobFailure.badInput(origin + ": Unix-socket hosts are not supported by the worker; use TCP");
            }
            if (host.isEmpty()) {
                host = "localhost";
            }
            if (port == null || port.isEmpty()) {
                port = "5432";
            }
            if (!port.matches("[0-9]{1,5}")) {
                throw JobFailure.badInput(origin + ": port '" + port + "' is not a number");
            }
            hosts.add(host + ":" + port);
        }
        return hosts;
    }

    /** Percent-decoding as in URIs: unlike form decoding, '+' stays '+'. */
    private static String decode(String text, String origin, String what) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // Never echo the text: it may be the password.
            throw JobFailure.badInput(origin + ": malformed percent-encoding in the " + what);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + String.join(",", hosts) + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /** pgjdbc properties; {@code applicationName} is used unless the URI sets application_name. */
    public Properties properties(String applicationName) {
        Properties props = new Properties();
        PGProperty.USER.set(props, user);
        if (password != null) {
            PGProperty.PASSWORD.set(props, password);
        }
        PGProperty.APPLICATION_NAME.set(props, applicationName);
        PGProperty.TCP_KEEP_ALIVE.set(props, true); // long COPYs cross idle firewalls
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            String value = p.getValue();
            switch (p.getKey()) {
                case "target_session_attrs" -> value = TARGET_SESSION_ATTRS.get(value);
                case "keepalives" -> value = "0".equals(value) ? "false" : "true";
                // libpq: "if a root CA file exists, sslmode=require behaves like verify-ca"; pgjdbc's require would
                // accept any certificate, so a URI psql refuses would connect here.
                case "sslmode" -> value = "require".equals(value) && parameters.containsKey("sslrootcert")
                        ? "verify-ca" : value;
                default -> {
                }
            }
            PARAMETERS.get(p.getKey()).set(props, value);
        }
        return props;
    }

    /**
     * libpq's TLS defaults: a URI that names no sslmode (sslrootcert) takes PGSSLMODE (PGSSLROOTCERT) from
     * {@code env}, as libpq does; the Helm chart sets both (verify-full and the mounted CA) in every pod.
     */
    public ConnectionUri withLibpqDefaults(Map<String, String> env) {
        Map<String, String> merged = new LinkedHashMap<>(parameters);
        for (Map.Entry<String, String> d : Map.of("sslmode", "PGSSLMODE", "sslrootcert", "PGSSLROOTCERT").entrySet()) {
            String value = env.get(d.getValue());
            if (value != null && !value.isBlank()) {
                merged.putIfAbsent(d.getKey(), value.strip());
            }
        }
        return merged.equals(parameters) ? this : new ConnectionUri(hosts, database, user, password, merged);
    }

    /** libpq's environment variables for this connection, for pg_dump and pg_restore (secrets never in argv). */
    private static final Map<String, String> LIBPQ_ENV = Map.of(
            "sslmode", "PGSSLMODE", "sslcert", "PGSSLCERT", "sslkey", "PGSSLKEY", "sslrootcert", "PGSSLROOTCERT",
            "application_name", "PGAPPNAME", "connect_timeout", "PGCONNECT_TIMEOUT", "options", "PGOPTIONS",
            "gssencmode", "PGGSSENCMODE", "channel_binding", "PGCHANNELBINDING",
            "target_session_attrs", "PGTARGETSESSIONATTRS");

    public Map<String, String> libpqEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        List<String> ports = new ArrayList<>();
        for (String h : hosts) {
            int colon = h.lastIndexOf(':');
            String host = h.substring(0, colon);
            names.add(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
            ports.add(h.substring(colon + 1));
        }
        env.put("PGHOST", String.join(",", names));
        env.put("PGPORT", String.join(",", ports));
        env.put("PGUSER", user);
        env.put("PGDATABASE", database);
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            if (LIBPQ_ENV.containsKey(p.getKey())) {
                env.put(LIBPQ_ENV.get(p.getKey()), p.getValue());
            }
        }
        return env;
    }

    /** The database name (not secret). */
    public String database() {
        return database;
    }

    public String user() {
        return user;
    }

    public boolean hasPassword() {
        return password != null;
    }

    /** For logs: user@host:port/db, never the password. */
    @Override
    public String toString() {
        return user + "@" + String.join(",", hosts) + "/" + database;
    }
}
