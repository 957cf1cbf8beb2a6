package io.tributary.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL instance of the test's own (initdb + pg_ctl, wal_level=logical, trust on loopback, a free port), for
 * tests that restart or stop the server: the stack's instances are shared with tests running at the same time.
 * The binaries come from TRIBUTARY_TEST_PG_BIN (`make test` exports the stack's); as root, the server runs as
 * {@code postgres}, as PostgreSQL requires. {@link #close()} stops it and deletes its folder.
 */
public final class PrivateCluster implements AutoCloseable {
    public static final String BIN_VARIABLE = "TRIBUTARY_TEST_PG_BIN";

    private final Path bin;
    private final Path dir;
    private final int port;

    private PrivateCluster(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    public static PrivateCluster start(String purpose) {
        String bin = System.getenv(BIN_VARIABLE);
        if (bin == null || bin.isBlank()) {
            String message = BIN_VARIABLE + " is not set: this test starts its own PostgreSQL (`make test` exports it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        try {
            // Not under JUnit's @TempDir: the server's user must reach the folder, and /tmp lets it.
            Path dir = Files.createTempDirectory("tributary-" + purpose + "-");
            if (asRoot()) {
                run(List.of("chown", "postgres", dir.toString()));
            }
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            PrivateCluster cluster = new PrivateCluster(Path.of(bin.strip()), dir, port);
            cluster.pg("initdb", "-D", cluster.data(), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--auth=trust");
            Files.writeString(Path.of(cluster.data(), "postgresql.conf"), "\nlisten_addresses = '127.0.0.1'\nport = "
                    + port + "\nunix_socket_directories = '" + dir + "'\nwal_level = logical\nmax_wal_senders = 4\n"
                    + "max_replication_slots = 4\nfsync = off\nshared_buffers = 16MB\n", StandardOpenOption.APPEND);
            cluster.pg("pg_ctl", "-D", cluster.data(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "start");
            return cluster;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The superuser on the {@code postgres} database, over TCP (no password: trust on loopback). */
    public String adminUri() {
        return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
    }

    /** A fast shutdown and a start: every session is cut, as in a source's planned restart. */
    public void restart() {
        pg("pg_ctl", "-D", data(), "-l", dir.resolve("server.log").toString(), "-m", "fast", "-w", "-t", "60", "restart");
    }

    @Override
    public void close() {
        try {
            pg("pg_ctl", "-D", data(), "-m", "immediate", "-w", "-t", "60", "stop");
        } finally {
            run(List.of("rm", "-rf", dir.toString()));
        }
    }

    private String data() {
        return dir.resolve("data").toString();
    }

    private void pg(String program, String... args) {
        List<String> command = new ArrayList<>();
        if (asRoot()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(args));
        run(command);
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).directory(Path.of("/").toFile()).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
