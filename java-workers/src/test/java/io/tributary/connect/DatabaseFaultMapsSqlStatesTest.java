package io.tributary.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.result.ExitCode;
import java.net.ConnectException;
import java.sql.SQLException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DatabaseFaultMapsSqlStatesTest {

    @ParameterizedTest(name = "SQLSTATE {0} → exit {1}")
    @CsvSource({
        "08001, RETRYABLE", "08006, RETRYABLE", "57P01, RETRYABLE", "57P03, RETRYABLE", "40001, RETRYABLE",
        "40P01, RETRYABLE", "53300, RETRYABLE", "55P03, RETRYABLE",
        "28P01, BAD_INPUT", "28000, BAD_INPUT", "3D000, BAD_INPUT", "42P01, BAD_INPUT", "42501, BAD_INPUT",
        "55000, BAD_INPUT", "22P02, FAILED", "23505, FAILED", "42601, FAILED"
    })
    void sqlStateDecidesTheExitCode(String state, ExitCode expected) {
        assertEquals(expected, DatabaseFault.classify(new SQLException("boom", state), "src_eu").exitCode());
    }

    @Test
    void networkErrorsWithoutStateAreRetryable() {
        SQLException e = new SQLException("io", null, new ConnectException("refused"));
        assertEquals(ExitCode.RETRYABLE, DatabaseFault.classify(e, "src_eu").exitCode());
    }

    @Test
    void aCertificateThatDoesNotVerifyIsBadInput() {
        var handshake = new javax.net.ssl.SSLHandshakeException("PKIX path building failed");
        handshake.initCause(new java.security.cert.CertificateException("unable to find valid certification path"));
        SQLException e = new SQLException("SSL error: PKIX path building failed", "08006", handshake);
        assertEquals(ExitCode.BAD_INPUT, DatabaseFault.classify(e, "src_eu").exitCode());
    }

    @Test
    void aConnectionCutDuringTheHandshakeIsRetryableNotATlsRefusal() {
        // what pgjdbc raises when the network drops the connection while TLS is negotiated
        var handshake = new javax.net.ssl.SSLHandshakeException("Remote host terminated the handshake");
        handshake.initCause(new java.io.EOFException("SSL peer shut down incorrectly"));
        SQLException e = new SQLException("SSL error: Remote host terminated the handshake", "08006", handshake);
        var failure = DatabaseFault.classify(e, "consolidated");
        assertEquals(ExitCode.RETRYABLE, failure.exitCode());
        assertEquals(false, failure.getMessage().contains("TLS refused"), failure.getMessage());
    }

    @Test
    void messageNamesTheConnection() {
        assertEquals("connection src_eu: password authentication failed for user tributary",
                DatabaseFault.classify(new SQLException(
                        "password authentication failed for user \"tributary\"", "28P01"), "src_eu").getMessage());
    }
}
