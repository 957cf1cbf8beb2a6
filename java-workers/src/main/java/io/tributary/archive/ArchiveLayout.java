package io.tributary.archive;

import io.tributary.catalog.TableRef;
import io.tributary.s3.S3Location;
import java.util.Locale;

/**
 * Where one archive lives: {@code <prefix>/<instance>/<schema>/<table>/<run>/} holding {@code part-NNNNN.parquet}
 * files and {@code catalog.json}. The archive id is the same path without the prefix; each name is one segment
 * ({@link #segment}).
 */
public record ArchiveLayout(String bucket, String prefix, String instance, TableRef table, String runSegment) {

    public static ArchiveLayout of(ArchiveSettings settings, String instance, TableRef table, String runId) {
        return new ArchiveLayout(settings.bucket(), settings.prefix(), instance, table, runSegment(runId));
    }

    /** A run id as one key segment: characters outside {@code A-Za-z0-9._-} become {@code _} (':' and '+' irk S3 tools). */
    public static String runSegment(String runId) {
        return runId.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    public String archiveId() {
        return segment(instance) + "/" + segment(table.schema()) + "/" + segment(table.name()) + "/" + runSegment;
    }

    /** A name as one key segment: {@link S3Location#segment}. */
    public static String segment(String name) {
        return S3Location.segment(name);
    }

    /** The run folder, ending in '/'. */
    public S3Location folder() {
        String key = (prefix.isEmpty() ? "" : prefix + "/") + archiveId() + "/";
        return new S3Location(bucket, key);
    }

    public S3Location part(int index) {
        return folder().resolve(String.format(Locale.ROOT, "part-%05d.parquet", index));
    }

    public S3Location catalogObject() {
        return folder().resolve(CatalogEntry.FILE_NAME);
    }

    /** The lifecycle rule's scope: the whole archive prefix. */
    public String lifecyclePrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }
}
