package io.tributary.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * The S3 server the archive tests run against: TRIBUTARY_TEST_S3_URI, an s3:// URI in the worker's
 * TRIBUTARY_CONN_&lt;ID&gt; form. scripts/test.sh starts moto's server (SSE, tags, storage classes, lifecycle and
 * RestoreObject honoured; in memory) and exports it. Without it: skipped locally, failed under CI=true.
 */
public final class MotoS3 {
    public static final String VARIABLE = "TRIBUTARY_TEST_S3_URI";

    private MotoS3() {
    }

    public static String uri() {
        String uri = System.getenv(VARIABLE);
        if (uri == null || uri.isBlank()) {
            String message = VARIABLE + " is not set: the archive tests need an S3 server that honours SSE, tags,"
                    + " lifecycle and restores (scripts/test.sh starts moto_server and exports it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return uri.strip();
    }

    /** A bucket name no other test uses (moto keeps every bucket for the whole test run). */
    public static String bucket(String purpose) {
        return ("tributary-test-" + purpose.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL));
    }
}
