package io.tributary.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConnectionUriParsesLibpqFormsTest {

    @Test
    void percentEncodedCredentialsAreDecodedAndPlusStaysPlus() {
        ConnectionUri uri = ConnectionUri.parse(
                "postgresql://tri%40bu:p%40ss%3Aw+rd%2F@127.0.0.1:54311/trading?sslmode=require", "TEST");
        Properties p = uri.properties("tributary copy");
        assertEquals("tri@bu", p.getProperty("user"));
        assertEquals("p@ss:w+rd/", p.getProperty("password"));
        assertEquals("require", p.getProperty("sslmode"));
        assertEquals("tributary copy", p.getProperty("ApplicationName"));
        assertEquals("jdbc:postgresql://127.0.0.1:54311/trading", uri.jdbcUrl());
    }

    @Test
    void postgresSchemeDefaultPortAndDatabaseDefaultToLibpqDefaults() {
        ConnectionUri uri = ConnectionUri.parse("postgres://alice@db.example", "TEST");
        assertEquals("jdbc:postgresql://db.example:5432/alice", uri.jdbcUrl());
        assertFalse(uri.hasPassword());
    }

    @Test
    void multiHostIpv6AndQueryParametersMapToPgjdbc() {
        ConnectionUri uri = ConnectionUri.parse("postgresql://u:pw@h1:5433,[::1]:5434/db%20name"
                + "?target_session_attrs=read-write&application_name=mine&connect_timeout=7", "TEST");
        assertEquals("jdbc:postgresql://h1:5433,[::1]:5434/db+name", uri.jdbcUrl());
        Properties p = uri.properties("ignored");
        assertEquals("primary", p.getProperty("targetServerType"));
        assertEquals("mine", p.getProperty("ApplicationName"));
        assertEquals("7", p.getProperty("connectTimeout"));
    }

    @Test
    void libpqEnvironmentCarriesEveryPartForPgDump() {
        ConnectionUri uri = ConnectionUri.parse("postgresql://u%40x:p%40ss@h1:5433,[::1]:5434/db%20name"
                + "?sslmode=verify-full&target_session_attrs=read-write", "TEST");
        Map<String, String> env = uri.libpqEnvironment();
        assertEquals("h1,::1", env.get("PGHOST"));
        assertEquals("5433,5434", env.get("PGPORT"));
        assertEquals("u@x", env.get("PGUSER"));
        assertEquals("p@ss", env.get("PGPASSWORD"), "the password travels in the environment, never argv");
        assertEquals("db name", env.get("PGDATABASE"));
        assertEquals("verify-full", env.get("PGSSLMODE"));
        assertEquals("read-write", env.get("PGTARGETSESSIONATTRS"));
    }

    @Test
    void passwordNeverAppearsInToStringOrErrors() {
        ConnectionUri uri = ConnectionUri.parse("postgresql://u:s3cret@h:1/db", "TEST");
        assertFalse(uri.toString().contains("s3cret"));
        assertEquals("u@h:1/db", uri.toString());

        JobFailure unknown = assertThrows(JobFailure.class,
                () -> ConnectionUri.parse("postgresql://u:s3cret@h/db?colour=blue", "TRIBUTARY_CONN_SRC_EU"));
        assertEquals(ExitCode.BAD_INPUT, unknown.exitCode());
        assertTrue(unknown.getMessage().startsWith("TRIBUTARY_CONN_SRC_EU: unsupported URI parameter 'colour'"),
                unknown.getMessage());
        assertFalse(unknown.getMessage().contains("s3cret"));

        JobFailure malformed = assertThrows(JobFailure.class,
                () -> ConnectionUri.parse("postgresql://u:s3cr%zzet@h/db", "TRIBUTARY_CONN_SRC_EU"));
        assertFalse(malformed.getMessage().contains("s3cr"));
    }

    @Test
    void otherSchemesAndMissingUserAreBadInput() {
        assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                () -> ConnectionUri.parse("mysql://u:p@h/db", "X")).exitCode());
        assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                () -> ConnectionUri.parse("postgresql://h/db", "X")).exitCode());
    }

    @Test
    void missingVariableNamesTheVariable() {
        ConnectionFactory factory = new ConnectionFactory(Map.of(), "test");
        JobFailure failure = assertThrows(JobFailure.class, () -> factory.uri("src_eu"));
        assertEquals(ExitCode.BAD_INPUT, failure.exitCode());
        assertTrue(failure.getMessage().contains("TRIBUTARY_CONN_SRC_EU"), failure.getMessage());
    }
}
