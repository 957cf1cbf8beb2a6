package io.tributary.cli;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * SIGTERM as a request to stop cleanly (Airflow and Kubernetes stop a task with it): the job finishes its current
 * unit of work and ends with its own exit code and result line, instead of the JVM exiting mid-transaction.
 */
final class StopSignal {
    private static final Logger LOG = Logger.getLogger(StopSignal.class.getName());

    private StopSignal() {
    }

    /** Routes SIGTERM to {@code flag}; returns the previous handler for {@link #restore}. */
    @SuppressWarnings("removal")
    static Object install(AtomicBoolean flag) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                LOG.info("SIGTERM: stopping after the current transaction");
                flag.set(true);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.fine("SIGTERM cannot be handled here: " + e.getMessage());
            return null;
        }
    }

    static void restore(Object previous) {
        if (previous instanceof sun.misc.SignalHandler handler) {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
        }
    }
}
