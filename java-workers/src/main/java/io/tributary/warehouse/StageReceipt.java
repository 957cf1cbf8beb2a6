package io.tributary.warehouse;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.util.List;

/**
 * {@code stage.json}, written beside the manifest: what was staged and the source's own figures (count and
 * portable checksum, computed in the snapshot the files were written from). Load verifies against it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageReceipt(
        @JsonProperty("source") String source,
        @JsonProperty("table") String table,
        @JsonProperty("partition_column") String partitionColumn,
        @JsonProperty("from") String from,
        @JsonProperty("to") String to,
        @JsonProperty("rows") long rows,
        @JsonProperty("checksum") String checksum,
        @JsonProperty("hash") String hash,
        @JsonProperty("columns") List<StagedColumn> columns,
        @JsonProperty("run_id") String runId,
        @JsonProperty("incremental") Delta incremental) {

    /**
     * An incremental stage: rows with {@code watermark_column} in ({@code watermark_from}, {@code watermark_to}]
     * (all up to {@code watermark_to} when there was no watermark yet), to be upserted by {@code key}; the source's
     * figures over the rows the delta touched ({@code touched_column} in [{@code touched_from}, {@code touched_to}]),
     * taken in the same snapshot, so the load can re-verify that range after the upsert.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Delta(
            @JsonProperty("key") List<String> key,
            @JsonProperty("watermark_column") String watermarkColumn,
            @JsonProperty("watermark_from") String watermarkFrom,
            @JsonProperty("watermark_to") String watermarkTo,
            @JsonProperty("touched_column") String touchedColumn,
            @JsonProperty("touched_from") String touchedFrom,
            @JsonProperty("touched_to") String touchedTo,
            @JsonProperty("touched_rows") long touchedRows,
            @JsonProperty("touched_checksum") String touchedChecksum) {
    }
    private static final ObjectMapper JSON = new ObjectMapper();

    public byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static StageReceipt parse(byte[] json, String where) {
        try {
            return JSON.readValue(json, StageReceipt.class);
        } catch (IOException e) {
            throw JobFailure.badInput(where + " is not a stage receipt (stage.json): " + e.getMessage());
        }
    }
}
