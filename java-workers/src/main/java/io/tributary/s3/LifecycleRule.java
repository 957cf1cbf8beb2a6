package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.util.Map;

/**
 * One lifecycle rule for a key prefix and, optionally, object tags (all must match): optionally move objects to
 * {@code transitionStorageClass} after {@code transitionDays}, expire them after {@code expirationDays}
 * (0 = never), and abort multipart uploads still incomplete {@code abortIncompleteUploadsDays} after they began
 * (0 = never; S3 allows it only in a rule without tags: the parts of an upload carry none).
 */
public record LifecycleRule(String id, String prefix, Map<String, String> tags, int transitionDays,
        String transitionStorageClass, int expirationDays, int abortIncompleteUploadsDays) {

    public LifecycleRule(String id, String prefix, Map<String, String> tags, int transitionDays,
            String transitionStorageClass, int expirationDays) {
        this(id, prefix, tags, transitionDays, transitionStorageClass, expirationDays, 0);
    }

    /** Parts of uploads a killed worker never completed or aborted stay stored and billed until this removes them. */
    public static LifecycleRule abortIncompleteUploads(String id, String prefix, int days) {
        return new LifecycleRule(id, prefix, Map.of(), 0, null, 0, days);
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
        if (abortIncompleteUploadsDays < 0 || (abortIncompleteUploadsDays > 0 && !tags.isEmpty())) {
            throw JobFailure.badInput("lifecycle rule " + id + ": aborting incomplete uploads takes days >= 0 and"
                    + " a rule without tags");
        }
    }
}
