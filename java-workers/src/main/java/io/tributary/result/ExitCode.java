package io.tributary.result;

/** The worker's exit codes; Airflow decides on retries from them (see ARCHITECTURE.md, CLI contract). */
public enum ExitCode {
    OK(0, "ok"),
    FAILED(1, "anything else (a bug or an unexpected fault)"),
    BAD_INPUT(2, "bad input or config: nothing was changed"),
    VERIFICATION_FAILED(3, "verification failed: the data differs"),
    RETRYABLE(4, "retryable infrastructure fault: connection, timeout, serialization, shutdown");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }
}
