package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.config.MigrationConfig;
import io.tributary.config.TableGlob;
import java.util.List;

/**
 * Which strategy resolves duplicate rows of a table, by precedence: a {@code tables[]} entry of
 * migration.yaml with {@code conflict_strategy}; else last-write-wins when every instance has an
 * updated_at-like column; else {@code defaults.conflict_strategy}; else manual.
 */
public final class ConflictStrategies {
    static final List<String> LAST_WRITE_COLUMNS =
            List.of("updated_at", "modified_at", "last_modified", "last_update", "last_updated", "updated_on", "mtime");

    private final MigrationConfig config;

    public ConflictStrategies(MigrationConfig config) {
        this.config = config;
    }

    static String overridePath(String table, String key) {
        return "tables[match=*." + table + "]." + key;
    }

    /** Index of the first tables[] entry with a conflict_strategy that matches the table in any instance, or -1. */
    private int entry(List<String> instances, String table) {
        JsonNode tables = config.raw().path("tables");
        for (int i = 0; i < tables.size(); i++) {
            JsonNode t = tables.get(i);
            if (!t.has("conflict_strategy")) {
                continue;
            }
            for (String instance : instances) {
                if (TableGlob.matches(t.path("match").asText(), instance + "." + table)) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The proposed resolution; {@code columnsByInstance} are the table's column names in each instance. */
    public ObjectNode resolve(List<String> instances, String table, List<List<String>> columnsByInstance) {
        String firstSource = config.sourceIds().stream().filter(instances::contains).findFirst().orElse(instances.get(0));
        int index = entry(instances, table);
        JsonNode entry = index < 0 ? null : config.raw().path("tables").get(index);
        String lastWrite = null;
        for (String candidate : LAST_WRITE_COLUMNS) {
            if (columnsByInstance.stream().allMatch(cols -> cols.contains(candidate))) {
                lastWrite = candidate;
                break;
            }
        }
        String strategy;
        String source;
        String winner = firstSource;
        if (entry != null) {
            strategy = entry.path("conflict_strategy").asText();
            source = "migration.yaml tables[" + index + "] (match: " + entry.path("match").asText() + ")";
            if (entry.hasNonNull("last_write_column")) {
                lastWrite = entry.path("last_write_column").asText();
            }
            if (entry.hasNonNull("source_wins")) {
                winner = entry.path("source_wins").asText();
            }
        } else if (lastWrite != null) {
            strategy = "last-write-wins";
            source = "column " + lastWrite + " in every instance";
        } else if (config.raw().path("defaults").hasNonNull("conflict_strategy")) {
            strategy = config.raw().path("defaults").path("conflict_strategy").asText();
            source = "migration.yaml defaults.conflict_strategy";
        } else {
            strategy = "manual";
            source = "no rule applies";
        }
        ObjectNode r = Conflict.obj("strategy", strategy, "chosen_by", source);
        switch (strategy) {
            case "last-write-wins" -> {
                r.put("column", lastWrite);
                r.put("tie_break", "source-wins: " + winner); // equal timestamps: the first source keeps its row
            }
            case "source-wins" -> r.put("winner", winner);
            default -> r.put("queue", "manual-conflict queue of the control schema");
        }
        return r;
    }

}
