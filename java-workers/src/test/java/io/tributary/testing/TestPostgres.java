package io.tributary.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.connect.ConnectionUri;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * The real PostgreSQL integration tests run against: TRIBUTARY_TEST_PG_URI, a libpq URI of a role that may
 * create databases (the Makefile exports it for the local stack). Without it the tests fail under CI=true
 * and are skipped, with a message, on a developer machine.
 */
public final class TestPostgres {
    public static final String VARIABLE = "TRIBUTARY_TEST_PG_URI";

    private TestPostgres() {
    }

    /** The admin URI, or abort/fail the calling test. */
    public static String uri() {
        String uri = System.getenv(VARIABLE);
        if (uri == null || uri.isBlank()) {
            String message = VARIABLE + " is not set: integration tests need a real PostgreSQL (a libpq URI of a"
                    + " role with CREATEDB, e.g. postgresql://tributary:pw@127.0.0.1:54320/consolidated;"
                    + " `make test` exports it after `make stack-up`)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return uri.strip();
    }

    /**
     * TRIBUTARY_TEST_PLAIN_PG_URI: an instance that cannot be followed (wal_level=replica, a role with CREATEDB but
     * without REPLICATION): the local stack's warehouse stand-in. (The consolidated instance decodes since the
     * rollback streams from it.)
     */
    public static final String PLAIN_VARIABLE = "TRIBUTARY_TEST_PLAIN_PG_URI";

    /** A fresh database on an instance without logical decoding and without the REPLICATION attribute. */
    public static ScratchDatabase createPlainDatabase(String purpose) {
        String uri = System.getenv(PLAIN_VARIABLE);
        if (uri == null || uri.isBlank()) {
            String message = PLAIN_VARIABLE + " is not set: this test needs a PostgreSQL with wal_level=replica and a"
                    + " role with CREATEDB but without REPLICATION (`make test` exports the warehouse stand-in)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return createDatabaseOn(uri.strip(), purpose, null);
    }

    /** TRIBUTARY_TEST_SOURCE_URI: a role with CREATEDB and REPLICATION on an instance with wal_level=logical. */
    public static final String SOURCE_VARIABLE = "TRIBUTARY_TEST_SOURCE_URI";

    /**
     * A fresh database on a source instance (wal_level=logical), for the follow tests: replication slots need one.
     * Without TRIBUTARY_TEST_SOURCE_URI the test fails under CI=true and is skipped elsewhere.
     */
    public static ScratchDatabase createSourceDatabase(String purpose) {
        String uri = System.getenv(SOURCE_VARIABLE);
        if (uri == null || uri.isBlank()) {
            String message = SOURCE_VARIABLE + " is not set: the follow tests need a source PostgreSQL with"
                    + " wal_level=logical and a role with CREATEDB and REPLICATION (`make test` exports it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return createDatabaseOn(uri.strip(), purpose, null);
    }

    /** A fresh, empty database with a unique name; drop it with {@link ScratchDatabase#close()}. */
    public static ScratchDatabase createDatabase(String purpose) {
        return createDatabase(purpose, null);
    }

    /**
     * A copy of {@code template} (which must have no open connections). Statistics are per database, so the
     * copy starts with every usage counter at zero: the way to get a table with indexes that was never scanned.
     */
    public static ScratchDatabase createDatabase(String purpose, ScratchDatabase template) {
        return createDatabaseOn(uri(), purpose, template);
    }

    /** A fresh database on the instance {@code admin} (a URI whose role may CREATEDB) reaches. */
    public static ScratchDatabase createDatabaseOn(String admin, String purpose) {
        return createDatabaseOn(admin, purpose, null);
    }

    private static ScratchDatabase createDatabaseOn(String admin, String purpose, ScratchDatabase template) {
        String name = "tributary_test_" + purpose.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_") + "_"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        try (Connection c = connect(admin); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE \"" + name + "\""
                    + (template == null ? "" : " TEMPLATE \"" + template.name() + "\""));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create scratch database " + name + ": " + e.getMessage(), e);
        }
        return new ScratchDatabase(admin, name, withDatabase(admin, name));
    }

    /** The same URI pointing at another database (keeps credentials and parameters). */
    public static String withDatabase(String uri, String database) {
        int q = uri.indexOf('?');
        String query = q >= 0 ? uri.substring(q) : "";
        String base = q >= 0 ? uri.substring(0, q) : uri;
        int schemeEnd = base.indexOf("://") + 3;
        int slash = base.indexOf('/', Math.max(schemeEnd, base.lastIndexOf('@')));
        String authority = slash >= 0 ? base.substring(0, slash) : base;
        return authority + "/" + database + query;
    }

    /** A plain JDBC connection (default session settings, search_path public) for test setup and checks. */
    public static Connection connect(String uri) throws SQLException {
        ConnectionUri parsed = ConnectionUri.parse(uri, VARIABLE);
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.properties("tributary tests"));
    }
}
