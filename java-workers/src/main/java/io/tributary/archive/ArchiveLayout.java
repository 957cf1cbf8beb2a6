package io.tributary.archive;

import io.tributary.catalog.TableRef;
import io.tributary.s3.S3Location;
import java.nio.charset.StandardCharsets;
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

    /**
     * A name as one key segment, kept as it is except what would change the path or the listing: {@code /} (a
     * table {@code "a/b"} would read as two segments, and schema {@code app}, table {@code a/b} would share a
     * folder with schema {@code app/a}, table {@code b}), {@code %} (so that the form stays unambiguous), control
     * characters (ListObjects answers in XML, which cannot carry most of them), and the segments {@code .} and
     * {@code ..} (which tools resolve as paths): those are written {@code %XX} (UTF-8 bytes, upper-case hex).
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
