package io.tributary.cli;

import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.metrics.JobMetrics;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.result.ResultWriter;
import io.tributary.result.RunSummary;
import io.tributary.result.TempFolder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every command shares: the environment, the output streams, and {@link #runJob}, which gives each
 * job the same ending: summary table on stderr, metrics push, then the JSON result as the very last line
 * (Airflow may merge stderr into stdout, so nothing is printed after it).
 */
final class WorkerContext {
    private static final Logger LOG = Logger.getLogger(WorkerContext.class.getName());

    /** A job's body: returns the result object (serialised to the JSON line) or throws a {@link JobFailure}. */
    @FunctionalInterface
    interface Job {
        Object run(RunSummary summary, JobMetrics metrics) throws Exception;
    }

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private Path resultFile;

    WorkerContext(Map<String, String> env, PrintStream out, PrintStream err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    Map<String, String> env() {
        return env;
    }

    /** Stdout, for output that precedes the JSON result line (e.g. a dry run's DDL). */
    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    void resultFile(Path path) {
        this.resultFile = path;
    }

    ConnectionFactory connections(String command) {
        return new ConnectionFactory(env, "tributary " + command);
    }

    int runJob(String command, Job job) {
        RunSummary summary = new RunSummary(command);
        JobMetrics metrics = new JobMetrics(command);
        ResultWriter writer = new ResultWriter(out, resultFile);
        Object result = null;
        JobFailure failure = null;
        metrics.start(env.get("TRIBUTARY_PUSHGATEWAY"), pushSeconds());
        try {
            result = job.run(summary, metrics);
        } catch (JobFailure f) {
            // a full temp folder, however a step wrapped it, is the environment's fault: exit 4 naming the folder
            failure = f.exitCode() == ExitCode.FAILED && TempFolder.isFull(f) ? TempFolder.full(f) : f;
        } catch (SQLException e) {
            failure = DatabaseFault.classify(e, null);
        } catch (Exception e) {
            failure = TempFolder.isFull(e) ? TempFolder.full(e) : JobFailure.failed(e.toString(), e);
        }
        ExitCode code = failure == null ? ExitCode.OK : failure.exitCode();
        if (failure != null) {
            report(failure);
        }
        err.print(summary.render(code == ExitCode.OK ? "ok" : "exit " + code.code()));
        err.flush();
        metrics.finish(code.code(), summary.elapsedSeconds());
        metrics.push(env.get("TRIBUTARY_PUSHGATEWAY"));
        try {
            if (failure == null) {
                writer.write(result);
            } else {
                writer.writeFailure(command, failure);
            }
        } catch (RuntimeException e) {
            // Only --result-file can fail here, before anything reached stdout.
            LOG.severe(e.getMessage());
            new ResultWriter(out, null).writeFailure(command, JobFailure.failed(e.getMessage(), e));
            return ExitCode.FAILED.code();
        }
        return code.code();
    }

    /** How often a running job pushes its progress: TRIBUTARY_METRICS_PUSH_SECONDS, else every 30 s. */
    private long pushSeconds() {
        String value = env.getOrDefault("TRIBUTARY_METRICS_PUSH_SECONDS", "").strip();
        try {
            return value.isEmpty() ? JobMetrics.HEARTBEAT_SECONDS : Math.max(1, Long.parseLong(value));
        } catch (NumberFormatException e) {
            LOG.warning("TRIBUTARY_METRICS_PUSH_SECONDS=" + value + " is not a number of seconds; pushing every "
                    + JobMetrics.HEARTBEAT_SECONDS + " s");
            return JobMetrics.HEARTBEAT_SECONDS;
        }
    }

    /** Refuses to start (no job ran): the message on stderr, the failure as the JSON line. */
    int refuse(String command, JobFailure failure) {
        LOG.severe(failure.getMessage());
        new ResultWriter(out, resultFile).writeFailure(command, failure);
        return failure.exitCode().code();
    }

    /** Expected failures get one line; only unexpected ones (exit 1) carry a stack trace. */
    private static void report(JobFailure failure) {
        if (failure.exitCode() == ExitCode.FAILED && failure.getCause() != null) {
            LOG.log(Level.SEVERE, failure.getMessage(), failure.getCause());
        } else {
            LOG.severe(failure.getMessage());
            if (failure.getCause() != null) {
                LOG.log(Level.FINE, "cause", failure.getCause());
            }
        }
    }
}
