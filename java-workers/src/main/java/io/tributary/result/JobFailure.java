package io.tributary.result;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A job that cannot finish, with the exit code that tells Airflow what to do about it.
 * The message is one line meant for a person; it never contains secrets.
 */
public class JobFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ExitCode exitCode;
    private final Map<String, Object> details;

    public JobFailure(ExitCode exitCode, String message, Throwable cause, Map<String, Object> details) {
        super(message, cause);
        this.exitCode = exitCode;
        this.details = details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static JobFailure badInput(String message) {
        return new JobFailure(ExitCode.BAD_INPUT, message, null, null);
    }

    public static JobFailure badInput(String message, Map<String, Object> details) {
        return new JobFailure(ExitCode.BAD_INPUT, message, null, details);
    }

    public static JobFailure retryable(String message, Throwable cause) {
        return new JobFailure(ExitCode.RETRYABLE, message, cause, null);
    }

    public static JobFailure verificationFailed(String message, Map<String, Object> details) {
        return new JobFailure(ExitCode.VERIFICATION_FAILED, message, null, details);
    }

    public static JobFailure failed(String message, Throwable cause) {
        return new JobFailure(ExitCode.FAILED, message, cause, null);
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    /** Extra keys for the JSON result line (e.g. both checksums when verification failed). */
    public Map<String, Object> details() {
        return details;
    }
}
