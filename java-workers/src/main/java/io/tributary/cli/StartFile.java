package io.tributary.cli;

import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * {@code --start-file}: the process gets ready first (JVM, connections, checks), then does its time-critical step only
 * once the caller creates the file. The cutover starts its workers this way before the write freeze, so no process
 * start happens inside it. Ready is announced by {@code <file>.ready}, holding this JVM's process id (the caller
 * SIGTERMs it if the moment never comes); after {@link #LONGEST_WAIT} without the file the process gives up.
 */
final class StartFile {
    private static final Logger LOG = Logger.getLogger(StartFile.class.getName());
    static final Duration LONGEST_WAIT = Duration.ofMinutes(30);
    private static final long POLL_MILLIS = 5;

    private StartFile() {
    }

    /** What to run right before the time-critical step: nothing without a start file. */
    static Runnable awaiter(Path file, BooleanSupplier stop) {
        return file == null ? () -> { } : () -> await(file, stop);
    }

    private static void await(Path file, BooleanSupplier stop) {
        Path ready = file.resolveSibling(file.getFileName() + ".ready");
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".ready.tmp");
            Files.writeString(tmp, ProcessHandle.current().pid() + "\n");
            Files.move(tmp, ready, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw JobFailure.badInput("--start-file: cannot write " + ready + " (" + e.getMessage() + ")");
        }
        LOG.info("ready: waiting for " + file);
        long deadline = System.nanoTime() + LONGEST_WAIT.toNanos();
        while (!Files.exists(file)) {
            if (stop.getAsBoolean()) {
                throw JobFailure.failed("asked to stop before " + file + " appeared: nothing done", null);
            }
            if (System.nanoTime() > deadline) {
                throw JobFailure.failed("no " + file + " within " + LONGEST_WAIT.toMinutes() + " minutes: nothing done",
                        null);
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.failed("interrupted while waiting for " + file, e);
            }
        }
    }
}
