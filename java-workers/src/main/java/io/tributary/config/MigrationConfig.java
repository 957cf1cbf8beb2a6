package io.tributary.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.TableRef;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A validated migration.yaml, as the worker uses it. Only the parts the worker reads today are typed;
 * {@link #raw} keeps the whole document for phases that come later.
 */
public record MigrationConfig(
        Path file,
        JsonNode raw,
        String project,
        Control control,
        List<Source> sources,
        Targets targets,
        List<ConsolidateTable> consolidateTables) {

    public static final String DEFAULT_CONTROL_SCHEMA = "tributary";

    public record Control(String connection, String schema) {
    }

    /** A source instance; {@code application} (optional) pins which application it holds (see conflicts.Applications). */
    public record Source(String id, String description, String targetSchema, String application) {
    }

    public record Targets(String consolidatedConnection, String warehouseConnection, String archiveConnection) {
    }

    /** An entry of consolidate.tables: what to copy and, optionally, under which name. */
    public record ConsolidateTable(String source, TableRef table, TableRef targetTable, List<String> key) {
    }

    public Optional<Source> source(String id) {
        return sources.stream().filter(s -> s.id().equals(id)).findFirst();
    }

    public List<String> sourceIds() {
        return sources.stream().map(Source::id).toList();
    }

    public Optional<ConsolidateTable> consolidateEntry(String source, TableRef table) {
        return consolidateTables.stream()
                .filter(t -> t.source().equals(source) && t.table().equals(table))
                .findFirst();
    }

    /** The file name used to prefix every problem message, e.g. {@code migration.yaml}. */
    public String fileName() {
        return file.getFileName().toString();
    }

    /** The {@code tables[]} entries whose glob matches {@code instance.schema.table}, in file order. */
    public List<JsonNode> tableRules(String instance, TableRef table) {
        List<JsonNode> out = new java.util.ArrayList<>();
        for (JsonNode t : raw().path("tables")) {
            if (TableGlob.matches(t.path("match").asText(), instance + "." + table)) {
                out.add(t);
            }
        }
        return out;
    }

    /** The value of {@code key} in the last matching {@code tables[]} entry that has it: later entries win. */
    public Optional<JsonNode> tableRule(String instance, TableRef table, String key) {
        JsonNode found = null;
        for (JsonNode t : tableRules(instance, table)) {
            if (t.has(key)) {
                found = t.get(key);
            }
        }
        return Optional.ofNullable(found);
    }
}
