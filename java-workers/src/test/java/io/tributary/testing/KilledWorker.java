package io.tributary.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.cli.TributaryCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A worker run as its own JVM (what Airflow launches) and killed with SIGKILL once {@code when} holds: no shutdown
 * hook, no abort, no cleanup; what it leaves is what a lost pod leaves.
 */
public final class KilledWorker {
    private KilledWorker() {
    }

    /** Starts the worker with {@code args}, kills it as soon as {@code when} is true; fails if it ended before. */
    public static void killWhen(Map<String, String> env, Path log, BooleanSupplier when, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), TributaryCommand.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder worker = new ProcessBuilder(command);
        worker.environment().putAll(env);
        worker.redirectErrorStream(true);
        worker.redirectOutput(log.toFile());
        Process process = worker.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!when.getAsBoolean()) {
                if (!process.isAlive()) {
                    fail("the worker ended (exit " + process.exitValue() + ") before it could be killed:\n"
                            + Files.readString(log));
                }
                if (System.nanoTime() > deadline) {
                    fail("the worker never reached the point to kill it at:\n" + Files.readString(log));
                }
                Thread.sleep(5);
            }
        } finally {
            process.destroyForcibly();
        }
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(137, process.exitValue(), "killed by SIGKILL:\n" + Files.readString(log));
    }

    /** True once the worker's log holds {@code text}. */
    public static BooleanSupplier logged(Path log, String text) {
        return () -> {
            try {
                return Files.exists(log) && Files.readString(log).contains(text);
            } catch (java.io.IOException e) {
                return false;
            }
        };
    }

    /** True while a session of the worker ({@code application_name}) runs a statement like {@code queryLike}. */
    public static BooleanSupplier running(ScratchDatabase db, String applicationName, String queryLike) {
        return () -> db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = '" + applicationName + "' AND state = 'active' AND query LIKE '"
                + queryLike.replace("'", "''") + "'") > 0;
    }

    /** Waits until the server has noticed the killed worker's sessions are gone (their transactions rolled back). */
    public static void awaitSessionsGone(ScratchDatabase db, String applicationName) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = '" + applicationName + "'") > 0) {
            assertTrue(System.nanoTime() < deadline, "the killed worker's sessions never went away");
            Thread.sleep(50);
        }
    }
}
