package io.tributary.result;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON result writer: the last stdout line is the job's result (Airflow's XCom payload),
 * optionally mirrored to {@code --result-file} (Kubernetes: /airflow/xcom/return.json).
 */
public final class ResultWriter {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.INDENT_OUTPUT)
            // absent, not null: XCom consumers test for keys
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private final PrintStream stdout;
    private final Path resultFile;

    public ResultWriter(PrintStream stdout, Path resultFile) {
        this.stdout = stdout;
        this.resultFile = resultFile;
    }

    /** The mapper every result goes through: snake_case keys, one line. */
    public static ObjectMapper json() {
        return JSON;
    }

    /** Writes a result (a record, map or JSON node) as the final stdout line and to the result file. */
    public void write(Object result) {
        String line;
        try {
            line = JSON.writeValueAsString(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("result is not serialisable to JSON", e);
        }
        if (resultFile != null) {
            writeFile(line); // first, so a failure here can still be reported on stdout
        }
        stdout.println(line);
        stdout.flush();
    }

    /** The failure result: {"error": ..., "exit_code": N, ...details}. */
    public void writeFailure(String command, JobFailure failure) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("error", failure.getMessage());
        result.put("exit_code", failure.exitCode().code());
        result.put("command", command);
        result.putAll(failure.details());
        write(result);
    }

    private void writeFile(String line) {
        try {
            Path absolute = resultFile.toAbsolutePath();
            Path dir = absolute.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            // Write then rename so a reader (the XCom sidecar) never sees half a file.
            Path tmp = Files.createTempFile(dir, ".result", ".json.tmp");
            Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write --result-file " + resultFile + ": " + e.getMessage(), e);
        }
    }
}
