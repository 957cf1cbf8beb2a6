package io.tributary.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.cli.TributaryCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Runs the CLI in-process, as Airflow would run the jar, and keeps what it printed. */
public record CliRun(int exitCode, String stdout, String stderr) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static CliRun run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = TributaryCommand.run(env, o, e, args);
        }
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public List<String> stdoutLines() {
        return stdout.lines().toList();
    }

    /** The contract: the last stdout line is one JSON object. */
    public String lastLine() {
        List<String> lines = stdoutLines();
        if (lines.isEmpty()) {
            throw new AssertionError("nothing on stdout; stderr was:\n" + stderr);
        }
        return lines.get(lines.size() - 1);
    }

    public JsonNode json() {
        try {
            JsonNode node = JSON.readTree(lastLine());
            if (!node.isObject()) {
                throw new AssertionError("last stdout line is not a JSON object: " + lastLine());
            }
            return node;
        } catch (java.io.IOException e) {
            throw new AssertionError("last stdout line is not JSON: " + lastLine() + "\nstderr:\n" + stderr, e);
        }
    }

    /** For assertion messages. */
    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
}
