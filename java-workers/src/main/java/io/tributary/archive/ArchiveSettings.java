package io.tributary.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.config.MigrationConfig;
import io.tributary.result.JobFailure;
import io.tributary.s3.ClientSideEncryption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code targets.archive} of migration.yaml: where archives go and how they are stored. Encryption defaults
 * to {@code aws:kms} (the production default; the schema then requires {@code kms_key_id}); {@code none}
 * sends no SSE header, for S3 servers that refuse it (the local S3Proxy), and the catalog says so.
 * {@code client_side_encryption} (optional) envelope-encrypts the Parquet objects before they leave the worker.
 */
public record ArchiveSettings(
        String connection,
        String bucket,
        String prefix,
        String encryption,
        String kmsKeyId,
        String storageClass,
        int retentionDays,
        Integer transitionDays,
        String transitionStorageClass,
        int dropSourceHoldDays,
        boolean objectTags,
        boolean lifecycle,
        long rowsPerFile,
        List<String> extraTables,
        List<String> excludedTables,
        ClientSideEncryption clientSideEncryption) {

    public static final int DEFAULT_RETENTION_DAYS = 2555; // 7 years: the usual trading-records horizon
    public static final int DEFAULT_DROP_SOURCE_HOLD_DAYS = 30;
    public static final long DEFAULT_ROWS_PER_FILE = 1_000_000;

    public static ArchiveSettings from(MigrationConfig config) {
        JsonNode a = config.raw().path("targets").path("archive");
        if (a.isMissingNode()) {
            throw JobFailure.badInput(config.fileName() + ": $.targets.archive is missing (where should archives go?)");
        }
        ClientSideEncryption cse = null;
        JsonNode c = a.path("client_side_encryption");
        if (!c.isMissingNode() && !c.isNull()) {
            try {
                cse = new ClientSideEncryption(text(c, "keyring"), text(c, "kms_key_id"), text(c, "key_env"));
            } catch (JobFailure e) {
                throw JobFailure.badInput(config.fileName() + ": $.targets.archive.client_side_encryption: "
                        + e.getMessage());
            }
        }
        String encryption = a.path("encryption").asText("aws:kms");
        String kmsKeyId = text(a, "kms_key_id");
        if ("aws:kms".equals(encryption) && kmsKeyId == null) {
            throw JobFailure.badInput(config.fileName() + ": $.targets.archive.kms_key_id is required: encryption is"
                    + " aws:kms (the default)");
        }
        String prefix = a.path("prefix").asText("").replaceAll("^/+|/+$", "");
        JsonNode section = config.raw().path("archive");
        return new ArchiveSettings(
                a.path("connection").asText(),
                a.path("bucket").asText(),
                prefix,
                "none".equals(encryption) ? null : encryption,
                "aws:kms".equals(encryption) ? kmsKeyId : null,
                a.path("storage_class").asText("STANDARD"),
                a.path("retention_days").asInt(DEFAULT_RETENTION_DAYS),
                a.has("transition_days") ? a.path("transition_days").asInt() : null,
                text(a, "transition_storage_class"),
                a.path("drop_source_hold_days").asInt(DEFAULT_DROP_SOURCE_HOLD_DAYS),
                a.path("object_tags").asBoolean(true),
                a.path("lifecycle").asBoolean(true),
                a.path("rows_per_file").asLong(DEFAULT_ROWS_PER_FILE),
                strings(section.path("tables")),
                strings(section.path("exclude")),
                cse);
    }

    /** The archive's storage class is one S3 must restore before a GET (FIELD-NOTES: GLACIER, DEEP_ARCHIVE). */
    public static boolean needsRestore(String storageClass) {
        return "GLACIER".equals(storageClass) || "DEEP_ARCHIVE".equals(storageClass);
    }

    /** What the catalog and the README say about encryption at rest. */
    public String encryptionLabel() {
        if (encryption == null) {
            return "none (no server-side encryption: not encrypted at rest)";
        }
        return "aws:kms".equals(encryption) ? "aws:kms (" + kmsKeyId + ")" : encryption;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
