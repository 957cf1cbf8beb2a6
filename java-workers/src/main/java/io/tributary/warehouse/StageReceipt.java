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
        @JsonProperty("run_id") String runId) {
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
