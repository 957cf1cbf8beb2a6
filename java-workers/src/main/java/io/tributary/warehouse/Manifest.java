package io.tributary.warehouse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redshift COPY manifest: exactly the files one stage wrote, each {@code mandatory} (a missing file fails
 * the COPY instead of loading less, FIELD-NOTES) with {@code meta.content_length}, which Redshift requires
 * for Parquet.
 */
public record Manifest(List<Entry> entries) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Entry(String url, long contentLength) {
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("entries");
        for (Entry e : entries) {
            ObjectNode n = list.addObject();
            n.put("url", e.url());
            n.put("mandatory", true);
            n.putObject("meta").put("content_length", e.contentLength());
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Manifest parse(byte[] json, String where) {
        try {
            JsonNode root = JSON.readTree(json);
            List<Entry> entries = new ArrayList<>();
            for (JsonNode n : root.path("entries")) {
                entries.add(new Entry(n.path("url").asText(), n.path("meta").path("content_length").asLong(-1)));
            }
            if (entries.isEmpty()) {
                throw JobFailure.badInput(where + " lists no files");
            }
            return new Manifest(List.copyOf(entries));
        } catch (IOException e) {
            throw JobFailure.badInput(where + " is not a manifest: " + e.getMessage());
        }
    }
}
