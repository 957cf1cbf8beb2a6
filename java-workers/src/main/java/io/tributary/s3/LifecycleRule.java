package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.util.Map;

/**
 * One lifecycle rule for a key prefix and, optionally, object tags (all must match): optionally move objects to
 * {@code transitionStorageClass} after {@code transitionDays}, and expire them after {@code expirationDays}
 * (0 = never).
 */
public record LifecycleRule(String id, String prefix, Map<String, String> tags, int transitionDays,
        String transitionStorageClass, int expirationDays) {

    public LifecycleRule(String id, String prefix, int transitionDays, String transitionStorageClass,
            int expirationDays) {
        this(id, prefix, Map.of(), transitionDays, transitionStorageClass, expirationDays);
    }

    public LifecycleRule {
        tags = tags == null ? Map.of() : Map.copyOf(tags);
        if (id == null || id.isBlank()) {
            throw JobFailure.badInput("a lifecycle rule needs an id");
        }
        if (transitionStorageClass != null && transitionDays <= 0) {
            throw JobFailure.badInput("lifecycle rule " + id + ": transition days must be > 0");
        }
        if (expirationDays < 0) {
            throw JobFailure.badInput("lifecycle rule " + id + ": expiration days must be >= 0");
        }
        if (expirationDays > 0 && transitionStorageClass != null && expirationDays <= transitionDays) {
            throw JobFailure.badInput("lifecycle rule " + id + ": expiration must come after the transition");
        }
    }
}
