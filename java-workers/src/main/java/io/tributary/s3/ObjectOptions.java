package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * What every object written gets: server-side encryption ({@code AES256}, or {@code aws:kms} with a key id),
 * tags, and a storage class. {@link #NONE} sends no such header (S3Proxy answers SSE headers with 501).
 */
public record ObjectOptions(String encryption, String kmsKeyId, Map<String, String> tags, String storageClass) {
    public static final ObjectOptions NONE = new ObjectOptions(null, null, Map.of(), null);
    private static final Set<String> ENCRYPTIONS = Set.of("AES256", "aws:kms");

    public ObjectOptions {
        tags = tags == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(tags));
        if (encryption != null && !ENCRYPTIONS.contains(encryption)) {
            throw JobFailure.badInput("encryption must be AES256 or aws:kms, not '" + encryption + "'");
        }
        if (kmsKeyId != null && !"aws:kms".equals(encryption)) {
            throw JobFailure.badInput("kms_key_id is only valid with encryption aws:kms");
        }
        if (storageClass != null && StorageClass.fromValue(storageClass) == StorageClass.UNKNOWN_TO_SDK_VERSION) {
            throw JobFailure.badInput("unknown storage class '" + storageClass + "' (e.g. STANDARD, STANDARD_IA,"
                    + " GLACIER_IR, GLACIER, DEEP_ARCHIVE)");
        }
        if (tags.size() > 10) {
            throw JobFailure.badInput("S3 allows at most 10 tags per object, got " + tags.size());
        }
    }

    public ObjectOptions withTags(Map<String, String> more) {
        Map<String, String> all = new LinkedHashMap<>(tags);
        all.putAll(more);
        return new ObjectOptions(encryption, kmsKeyId, all, storageClass);
    }

    /** The x-amz-tagging header value (URL-encoded query form). */
    String taggingHeader() {
        if (tags.isEmpty()) {
            return null;
        }
        return tags.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    PutObjectRequest.Builder apply(PutObjectRequest.Builder b) {
        if (encryption != null) {
            b.serverSideEncryption(ServerSideEncryption.fromValue(encryption));
        }
        if (kmsKeyId != null) {
            b.ssekmsKeyId(kmsKeyId);
        }
        if (taggingHeader() != null) {
            b.tagging(taggingHeader());
        }
        if (storageClass != null) {
            b.storageClass(StorageClass.fromValue(storageClass));
        }
        return b;
    }

    CopyObjectRequest.Builder apply(CopyObjectRequest.Builder b) {
        if (encryption != null) {
            b.serverSideEncryption(ServerSideEncryption.fromValue(encryption));
        }
        if (kmsKeyId != null) {
            b.ssekmsKeyId(kmsKeyId);
        }
        if (storageClass != null) {
            b.storageClass(StorageClass.fromValue(storageClass));
        }
        return b; // tags: the copy keeps the source's (TaggingDirective.COPY)
    }

    CreateMultipartUploadRequest.Builder apply(CreateMultipartUploadRequest.Builder b) {
        if (encryption != null) {
            b.serverSideEncryption(ServerSideEncryption.fromValue(encryption));
        }
        if (kmsKeyId != null) {
            b.ssekmsKeyId(kmsKeyId);
        }
        if (taggingHeader() != null) {
            b.tagging(taggingHeader());
        }
        if (storageClass != null) {
            b.storageClass(StorageClass.fromValue(storageClass));
        }
        return b;
    }
}
