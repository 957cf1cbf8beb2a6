package io.tributary.s3;

import io.tributary.result.JobFailure;

/** A bucket and a key; {@code s3://bucket/key} as text (how Redshift manifests and COPY name objects). */
public record S3Location(String bucket, String key) {
    private static final java.util.regex.Pattern BUCKET = java.util.regex.Pattern.compile("^[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]$");

    public S3Location {
        requireBucket(bucket, "bucket");
        if (key == null) {
            key = "";
        }
        while (key.startsWith("/")) {
            key = key.substring(1);
        }
    }

    public static void requireBucket(String bucket, String what) {
        if (bucket == null || !BUCKET.matcher(bucket).matches()) {
            throw JobFailure.badInput(what + " '" + bucket
                    + "' is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-')");
        }
    }

    public static S3Location parse(String url, String what) {
        if (url == null || !url.startsWith("s3://")) {
            throw JobFailure.badInput(what + " must be an s3://bucket/key URL");
        }
        String rest = url.substring("s3://".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? new S3Location(rest, "") : new S3Location(rest.substring(0, slash), rest.substring(slash + 1));
    }

    /** This location with {@code name} appended as a path segment. */
    public S3Location resolve(String name) {
        if (key.isEmpty()) {
            return new S3Location(bucket, name);
        }
        return new S3Location(bucket, key.endsWith("/") ? key + name : key + "/" + name);
    }

    /** The object {@code name} in the same folder as this one. */
    public S3Location sibling(String name) {
        int slash = key.lastIndexOf('/');
        return new S3Location(bucket, (slash < 0 ? "" : key.substring(0, slash + 1)) + name);
    }

    public String url() {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return url();
    }
}
