package io.tributary.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;

/**
 * The real S3-compatible server integration tests run against: TRIBUTARY_CONN_S3 (the local stack's
 * S3Proxy; `scripts/test.sh` exports it from .stack/env). Missing: fail under CI=true, skip otherwise.
 */
public final class TestS3 {
    public static final String VARIABLE = "TRIBUTARY_CONN_S3";

    private TestS3() {
    }

    public static String uri() {
        String uri = System.getenv(VARIABLE);
        if (uri == null || uri.isBlank()) {
            String message = VARIABLE + " is not set: S3 integration tests need the local stack's S3Proxy"
                    + " (`make stack-up`, then `scripts/test.sh java`)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        return uri.strip();
    }

    /**
     * The same S3Proxy over HTTPS with {@code cafile=} naming the stack's CA (TRIBUTARY_CONN_S3_TLS, written by
     * scripts/stack.sh); {@code caFile} non-null swaps in another CA file. Missing: fail under CI=true, skip otherwise.
     */
    public static String tlsUri(String caFile) {
        String uri = System.getenv("TRIBUTARY_CONN_S3_TLS");
        if (uri == null || uri.isBlank()) {
            String message = "TRIBUTARY_CONN_S3_TLS is not set: the local stack's S3Proxy over HTTPS (`make stack-up`)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        uri = uri.strip();
        return caFile == null ? uri : uri.replaceFirst("([?&])cafile=[^&]*", "$1cafile=" + caFile);
    }

    public static Map<String, String> env() {
        return Map.of(VARIABLE, uri());
    }

    public static ObjectStore open() {
        return ObjectStore.open(env(), "s3");
    }

    /**
     * Deletes every object of a test bucket. S3Proxy's filesystem backend also lists its directories ("wh/" and
     * "wh/a/") as objects, and deleting one directly stalls about 10 s each; they go with their last object, so
     * they are skipped (a test class's teardown took ~40 s that way).
     */
    public static void empty(ObjectStore store, String bucket) {
        store.list(new S3Location(bucket, "")).stream().filter(o -> !o.key().endsWith("/"))
                .forEach(o -> store.delete(new S3Location(bucket, o.key())));
    }

    /** A fresh bucket name for one test class. */
    public static String bucket(String purpose) {
        return ("test-" + purpose.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL));
    }
}
