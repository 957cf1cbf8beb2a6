package io.tributary.connect;

import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Turns a database error into the exit code Airflow acts on: retry what infrastructure caused (4), stop
 * with a one-line message on what the user must fix (2), and treat the rest as a failure (1).
 */
public final class DatabaseFault {
    private DatabaseFault() {
    }

    /** {@code connId} names the connection the error came from (may be null when unknown). */
    public static JobFailure classify(SQLException e, String connId) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = connId == null ? "" : "connection " + connId + ": ";
        String message = serverMessage(e);
        ExitCode code = exitCode(state, e);
        if (state.startsWith("28")) {
            // Authentication: the user must fix credentials; no stack trace, no password.
            message = message.replace("\"", "");
        }
        if (tlsRefused(e)) {
            message = "TLS refused: " + message + " (check that sslrootcert names the CA that signed the server's"
                    + " certificate and that the host is the one it was issued for; sslmode=verify-full checks both)";
        }
        String text = where + message + (code == ExitCode.RETRYABLE ? " (retryable, SQLSTATE " + state + ")" : "");
        if (code == ExitCode.FAILED && !state.isEmpty()) {
            text = text + " (SQLSTATE " + state + ")";
        }
        return new JobFailure(code, text, e, null);
    }

    static ExitCode exitCode(String state, Throwable e) {
        if (tlsRefused(e)) {
            return ExitCode.BAD_INPUT; // a certificate that does not verify is fixed by a person, not by a retry
        }
        if (state.startsWith("08") // connection exception
                || state.startsWith("53") // insufficient resources (too many connections, disk full)
                || state.equals("40001") // serialization failure
                || state.equals("40P01") // deadlock detected
                || state.equals("55P03") // lock not available
                || state.equals("57014") // query canceled (statement timeout)
                || state.startsWith("57P")) { // admin/crash shutdown, cannot connect now
            return ExitCode.RETRYABLE;
        }
        if (state.startsWith("28") // invalid authorization / password
                || state.equals("3D000") // database does not exist
                || state.equals("3F000") // schema does not exist
                || state.equals("42P01") // undefined table
                || state.equals("42703") // undefined column
                || state.equals("42501") // insufficient privilege
                || state.equals("55000")) { // object not in prerequisite state (e.g. unpopulated materialized view)
            return ExitCode.BAD_INPUT;
        }
        if (state.isEmpty() && hasNetworkCause(e)) {
            return ExitCode.RETRYABLE;
        }
        return ExitCode.FAILED;
    }

    /**
     * The server's certificate did not verify (unknown CA, wrong host name), the CA file cannot be read, or the
     * server offers no TLS where the URI requires it: what libpq refuses, and as final. S3 connections use it too
     * (io.tributary.s3.S3Fault): a certificate is refused the same way whichever server presented it.
     */
    public static boolean tlsRefused(Throwable e) {
        if (cutDuringHandshake(e)) {
            return false; // the peer hung up mid-handshake: a network fault, retried like any other
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLHandshakeException || t instanceof javax.net.ssl.SSLPeerUnverifiedException
                    || t instanceof java.security.cert.CertificateException) {
                return true;
            }
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (m.contains("could not be verified by hostnameverifier") || m.contains("SSL root certificate file")
                    || m.contains("The server does not support SSL")) {
                return true;
            }
        }
        return false;
    }

    /** A handshake the connection dropped under (EOF, reset) says nothing about the certificate. */
    private static boolean cutDuringHandshake(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof java.security.cert.CertificateException || t instanceof javax.net.ssl.SSLPeerUnverifiedException) {
                return false;
            }
            if (t instanceof java.io.EOFException || t instanceof SocketException
                    || m.contains("Remote host terminated the handshake") || m.contains("Connection reset")) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasNetworkCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof SocketTimeoutException
                    || t instanceof UnknownHostException || t instanceof SocketException) {
                return true;
            }
        }
        return false;
    }

    private static String serverMessage(SQLException e) {
        if (e instanceof PSQLException p) {
            ServerErrorMessage server = p.getServerErrorMessage();
            if (server != null && server.getMessage() != null) {
                return server.getMessage();
            }
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }
}
