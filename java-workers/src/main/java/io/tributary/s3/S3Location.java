package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** A bucket and a key; {@code s3://bucket/key} as text (how Redshift manifests and COPY name objects). */
public record S3Location(String bucket, String key) {

    /**
     * A name as one key segment, kept as it is except what would change the path or the listing: {@code /} (a
     * table {@code "a/b"} would read as two segments, and schema {@code app}, table {@code a/b} would share a
     * folder with schema {@code app/a}, table {@code b}), {@code %} (so that the form stays unambiguous), control
     * characters (ListObjects answers in XML, which cannot carry most of them), and the segments {@code .} and
     * {@code ..} (which tools resolve as paths): those are written {@code %XX} (UTF-8 bytes, upper-case hex). The
     * DAGs write the same ({@code names.key_segment}).
     */
    public static String segment(String name) {
        if (name.equals(".") || name.equals("..")) {
            return name.replace(".", "%2E");
        }
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> {
            if (cp == '/' || cp == '%' || Character.isISOControl(cp)) {
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append(String.format(Locale.ROOT, "%%%02X", b & 0xff));
                }
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

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
