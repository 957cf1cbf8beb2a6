package io.tributary.discover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Reads and writes the documents discovery produces (inventory, conflicts): indented, nulls kept (the
 * format spells absent values as null), written atomically so a reader never sees half a file.
 */
public final class InventoryJson {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private InventoryJson() {
    }

    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    public static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    public static ArrayNode strings(List<String> values) {
        ArrayNode a = array();
        values.forEach(a::add);
        return a;
    }

    /** Writes the document; returns its size in bytes. */
    public static long write(Path file, JsonNode document) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(document);
        Path absolute = file.toAbsolutePath();
        Path dir = absolute.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".tributary", ".json.tmp");
        Files.write(tmp, bytes);
        Files.write(tmp, "\n".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
        Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return bytes.length + 1L;
    }

    /** Reads an inventory; a missing or malformed file is bad input (exit 2). */
    public static ObjectNode readInventory(Path file) {
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw JobFailure.badInput("cannot read inventory " + file + ": " + e.getMessage());
        }
        if (node == null || !node.isObject() || !node.path("instance").isTextual() || !node.path("tables").isArray()) {
            throw JobFailure.badInput("inventory " + file + " is not a discovery inventory (needs instance and tables;"
                    + " see docs/inventory-format.md)");
        }
        if (node.path("format").asInt(0) != Inventory.FORMAT) {
            throw JobFailure.badInput("inventory " + file + " has format " + node.path("format")
                    + "; this worker reads format " + Inventory.FORMAT);
        }
        return (ObjectNode) node;
    }
}
