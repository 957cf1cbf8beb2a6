package io.tributary.testing;

import io.tributary.cli.TributaryCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The worker run to its end as its own JVM (what Airflow launches), with JVM options of its own. */
public final class WorkerJvm {
    private WorkerJvm() {
    }

    /** Runs {@code tributary args...} in a JVM started with {@code jvmOptions}; stdout and stderr go to {@code dir}. */
    public static CliRun run(Map<String, String> env, List<String> jvmOptions, Path dir, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), TributaryCommand.class.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, args[0] + "-", ".out");
        Path err = Files.createTempFile(dir, args[0] + "-", ".err");
        ProcessBuilder worker = new ProcessBuilder(command);
        worker.environment().putAll(env);
        worker.redirectOutput(out.toFile());
        worker.redirectError(err.toFile());
        Process process = worker.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the worker did not end in 120 s: " + Files.readString(err));
        }
        return new CliRun(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
