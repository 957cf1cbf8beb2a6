package io.tributary.archive;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.result.JobFailure;
import io.tributary.result.ResultWriter;
import io.tributary.s3.ClientSideEncryption;
import io.tributary.verify.ChecksumDialect;
import java.util.List;
import java.util.Map;

/**
 * One archived table: the document written as {@code catalog.json} next to the data and kept in the control
 * schema's {@code archive_catalog.entry}. Everything needed to find, trust and restore the archive without
 * the source: schema and original DDL, rows, checksums (source and read-back), bytes and files, lineage,
 * why it was archived, retention, and how to restore it. Format: docs/archive-catalog-format.md.
 */
public record CatalogEntry(
        int format,
        String archiveId,
        String status,
        Source source,
        Lineage lineage,
        Classification classification,
        List<Column> columns,
        List<String> primaryKey,
        ArchivedDdl ddl,
        Data data,
        Checksums checksum,
        Storage storage,
        Retention retention,
        Restore restore) {

    public static final int FORMAT = 1;
    /** The catalog document's name inside an archive's run folder. */
    public static final String FILE_NAME = "catalog.json";

    public static final String WRITTEN = "written";
    public static final String VERIFIED = "verified";
    public static final String MISMATCH = "mismatch";

    /** Where the table lived. */
    public record Source(String instance, String database, String schema, String table, String serverVersion) {
    }

    /** Who archived it, when, under which run. */
    public record Lineage(String instance, String table, String runId, String triggeredBy, String airflowDagId,
            String airflowRunId, String archivedAt) {
    }

    /** Why it was archived: the discovery plan's class and reasons in words. */
    public record Classification(@JsonProperty("class") String tableClass, List<String> reasons) {
    }

    /** A column as the source declared it, and how the Parquet file stores it. */
    public record Column(String name, String type, boolean notNull, String parquetType) {
    }

    /** One Parquet object. */
    public record DataFile(String key, long rows, long bytes) {
    }

    public record Data(String location, String fileFormat, String compression, long rows, long bytes,
            List<DataFile> files) {
    }

    /** A row count and checksum, and when it was computed. */
    public record Figures(long rows, String checksum, String computedAt) {
    }

    /**
     * {@code source}: computed by the source database in the archive's snapshot; {@code archive}: computed by
     * PostgreSQL over the rows read back from the objects. {@code verified} only when both agree.
     */
    public record Checksums(String algorithm, Figures source, Figures archive, Boolean verified) {
        static final String V1 = "tributary-checksum-v1";

        /** The hash these figures were computed with, to compare like with like (v1: before typed values). */
        public ChecksumDialect dialect() {
            if (algorithm != null && algorithm.startsWith(V1 + ":")) {
                return ChecksumDialect.POSTGRES_TEXT_V1;
            }
            if (TableArchive.CHECKSUM_ALGORITHM.equals(algorithm)) {
                return ChecksumDialect.POSTGRES;
            }
            throw JobFailure.badInput("the catalog entry's checksum algorithm is unknown to this worker: " + algorithm);
        }
    }

    /**
     * {@code clientSideEncryption}: absent for plain objects; else which keyring decrypts the Parquet objects (the
     * KMS key id, or the name of the environment variable that holds the raw AES master key), never key material.
     */
    public record Storage(String bucket, String encryption, String kmsKeyId, String storageClass,
            Map<String, String> tags, String lifecycleRuleId, String lifecycleRule,
            ClientSideEncryption clientSideEncryption) {
    }

    public record Retention(int days, String retainUntil, int dropSourceHoldDays, String sourceDroppableAfter,
            String sourceDroppedAt, String sourceDroppedBy) {
    }

    public record Restore(String command, String dag, boolean needsS3Restore, List<String> steps) {
    }

    private static final ObjectMapper JSON = ResultWriter.json().copy()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES); // newer formats add keys

    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("catalog entry is not serialisable", e);
        }
    }

    public static CatalogEntry fromJson(String json) {
        try {
            return JSON.readValue(json, CatalogEntry.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a catalog entry: " + e.getOriginalMessage(), e);
        }
    }

    public boolean verified() {
        return checksum != null && Boolean.TRUE.equals(checksum.verified());
    }

    public CatalogEntry withVerification(Figures archive, boolean ok) {
        return new CatalogEntry(format, archiveId, ok ? VERIFIED : MISMATCH, source, lineage, classification, columns,
                primaryKey, ddl, data, new Checksums(checksum.algorithm(), checksum.source(), archive, ok), storage,
                retention, restore);
    }

    public CatalogEntry withSourceDropped(String at, String by) {
        Retention r = new Retention(retention.days(), retention.retainUntil(), retention.dropSourceHoldDays(),
                retention.sourceDroppableAfter(), at, by);
        return new CatalogEntry(format, archiveId, status, source, lineage, classification, columns, primaryKey, ddl,
                data, checksum, storage, r, restore);
    }
}
