package io.tributary.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Logs go to stderr, one line each ({@code 2025-01-31T17:30:00.123Z INFO  message}); stdout is reserved
 * for the JSON result. Level from TRIBUTARY_LOG_LEVEL (DEBUG, INFO, WARN, ERROR; default INFO).
 */
final class StderrLogging {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private StderrLogging() {
    }

    static void install(PrintStream err, String levelName) {
        Level level = parse(levelName);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        root.addHandler(new OneLineHandler(err, level));
        // Third-party chatter stays at warnings; the driver never logs secrets, but keep it quiet anyway.
        Logger.getLogger("org.postgresql").setLevel(Level.WARNING);
        Logger.getLogger("com.networknt").setLevel(Level.WARNING);
        Logger.getLogger("io.micrometer").setLevel(Level.WARNING);
    }

    static Level parse(String name) {
        if (name == null || name.isBlank()) {
            return Level.INFO;
        }
        return switch (name.strip().toUpperCase(Locale.ROOT)) {
            case "TRACE", "FINEST" -> Level.FINEST;
            case "DEBUG", "FINE" -> Level.FINE;
            case "WARN", "WARNING" -> Level.WARNING;
            case "ERROR", "SEVERE" -> Level.SEVERE;
            default -> Level.INFO;
        };
    }

    private static final class OneLineHandler extends Handler {
        private final PrintStream err;

        OneLineHandler(PrintStream err, Level level) {
            this.err = err;
            setLevel(level);
        }

        @Override
        public void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            String message = record.getMessage();
            if (record.getParameters() != null && record.getParameters().length > 0) {
                message = java.text.MessageFormat.format(message, record.getParameters());
            }
            StringBuilder line = new StringBuilder(TIME.format(Instant.ofEpochMilli(record.getMillis())))
                    .append(' ').append(levelName(record.getLevel())).append(' ').append(message);
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append('\n').append(trace.toString().stripTrailing());
            }
            synchronized (err) {
                err.println(line);
                err.flush();
            }
        }

        private static String levelName(Level level) {
            if (level.intValue() >= Level.SEVERE.intValue()) {
                return "ERROR";
            }
            if (level.intValue() >= Level.WARNING.intValue()) {
                return "WARN ";
            }
            if (level.intValue() >= Level.INFO.intValue()) {
                return "INFO ";
            }
            return "DEBUG";
        }

        @Override
        public void flush() {
            err.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
