package io.tributary.warehouse;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.parquet.TypeMapping;
import io.tributary.result.JobFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * {@code targets.warehouse} of migration.yaml, as stage and load use it. Defaults are Redshift's guidance
 * (FIELD-NOTES): files of ~128 MB (Redshift splits larger Parquet files itself), a file count that is a
 * multiple of the cluster's slices, ZSTD.
 */
public record WarehouseSettings(
        String connection,
        String dialect,
        String schema,
        String stagingConnection,
        String stagingBucket,
        String stagingPrefix,
        String iamRole,
        int slices,
        int targetFileMb,
        int multipartPartMb,
        CompressionCodecName compression,
        TypeMapping.JsonMapping jsonMapping,
        String unboundedNumeric,
        List<TableEntry> tables) {

    /** One entry of {@code targets.warehouse.tables}. */
    public record TableEntry(String source, TableRef table, TableRef targetTable, List<String> key,
            String partitionColumn, String watermarkColumn, String distkey) {
    }

    public static WarehouseSettings from(MigrationConfig config) {
        JsonNode w = config.raw().path("targets").path("warehouse");
        if (w.isMissingNode()) {
            throw JobFailure.badInput(config.fileName() + ": targets.warehouse is missing");
        }
        List<TableEntry> tables = new ArrayList<>();
        for (JsonNode t : w.path("tables")) {
            List<String> key = new ArrayList<>();
            t.path("key").forEach(k -> key.add(k.asText()));
            tables.add(new TableEntry(t.path("source").asText(), TableRef.parse(t.path("table").asText(), "table"),
                    t.hasNonNull("target_table") ? TableRef.parse(t.path("target_table").asText(), "target_table") : null,
                    List.copyOf(key), text(t, "partition_column"), text(t, "watermark_column"), text(t, "distkey")));
        }
        String dialect = w.path("dialect").asText("postgres");
        boolean redshift = dialect.equals("redshift");
        // Redshift's COPY reads Parquet through Spectrum, which documents Snappy, GZIP, LZO and BZIP2, not zstd
        // (docs.aws.amazon.com/redshift/latest/dg/c-spectrum-data-files.html, copy-usage_notes-copy-from-columnar.html).
        String compression = w.path("compression").asText(redshift ? "snappy" : "zstd").toUpperCase(Locale.ROOT);
        if (!compression.equals("ZSTD") && !compression.equals("SNAPPY")) {
            throw JobFailure.badInput(config.fileName() + ": targets.warehouse.compression must be zstd or snappy, not "
                    + w.path("compression").asText());
        }
        if (redshift && compression.equals("ZSTD")) {
            throw JobFailure.badInput(config.fileName() + ": targets.warehouse.compression zstd is not a codec"
                    + " Redshift documents for COPY from Parquet (Snappy, GZIP, LZO, BZIP2); set compression: snappy"
                    + " (the redshift default)");
        }
        String json = w.path("json_mapping").asText("text").toUpperCase(Locale.ROOT);
        if (redshift && json.equals("SUPER")) {
            throw JobFailure.badInput(config.fileName() + ": targets.warehouse.json_mapping super cannot be verified"
                    + " on Redshift: JSON_SERIALIZE prints compact JSON (no blanks after ',' and ':') and fails past"
                    + " 65,535 bytes, so it never equals the source's jsonb text; use json_mapping: text (VARCHAR"
                    + " holding jsonb's text; JSON_PARSE it in queries)");
        }
        return new WarehouseSettings(
                w.path("connection").asText(),
                dialect,
                w.path("schema").asText(null),
                text(w, "staging_connection"),
                text(w, "staging_bucket"),
                w.path("staging_prefix").asText("warehouse"),
                text(w, "iam_role"),
                w.path("slices").asInt(2),
                w.path("target_file_mb").asInt(128),
                w.path("multipart_part_mb").asInt(16),
                CompressionCodecName.valueOf(compression),
                TypeMapping.JsonMapping.valueOf(json),
                text(w, "unbounded_numeric"),
                List.copyOf(tables));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    public TypeMapping typeMapping() {
        return new TypeMapping(jsonMapping, unboundedNumeric, dialect.equals("redshift"));
    }

    public Optional<TableEntry> table(String source, TableRef table) {
        return tables.stream().filter(t -> t.source().equals(source) && t.table().equals(table)).findFirst();
    }

    /** The warehouse table a source table loads into: explicit, else its entry's target_table, else the same
     * name in targets.warehouse.schema (else the source's own schema). */
    public TableRef targetTable(String source, TableRef table, TableRef explicit) {
        if (explicit != null) {
            return explicit;
        }
        return table(source, table).map(TableEntry::targetTable)
                .orElseGet(() -> schema != null ? table.inSchema(schema) : table);
    }

    /** The staging store's connection id and bucket, or exit 2 naming the missing key. */
    public String requireStagingConnection() {
        if (stagingConnection == null) {
            throw JobFailure.badInput("targets.warehouse.staging_connection is not set (the S3 connection id for"
                    + " the staged Parquet files)");
        }
        return stagingConnection;
    }

    public String requireStagingBucket() {
        if (stagingBucket == null) {
            throw JobFailure.badInput("targets.warehouse.staging_bucket is not set");
        }
        return stagingBucket;
    }
}
