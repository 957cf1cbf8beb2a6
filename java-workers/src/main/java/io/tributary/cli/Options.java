package io.tributary.cli;

import io.tributary.result.JobFailure;
import java.nio.file.Path;

/** Option defaults that come from the environment (injected, so tests control them). */
final class Options {
    private Options() {
    }

    static Path configFile(Path option, WorkerContext context) {
        if (option != null) {
            return option;
        }
        String fromEnv = context.env().get("TRIBUTARY_CONFIG");
        if (fromEnv == null || fromEnv.isBlank()) {
            throw JobFailure.badInput("--config FILE is required (or set TRIBUTARY_CONFIG)");
        }
        return Path.of(fromEnv);
    }
}
