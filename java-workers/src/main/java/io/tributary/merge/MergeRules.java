package io.tributary.merge;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.conflicts.ConflictStrategies;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What migration.yaml says about merging one table: the natural key, the conflict strategy (decided by
 * {@link ConflictStrategies}, the same rules the conflicts report proposes), whether to remap its key,
 * declared references across instances, and the name of the origin column.
 */
public final class MergeRules {
    public static final String DEFAULT_ORIGIN_COLUMN = "tributary_source";

    private final MigrationConfig config;
    private final ConflictStrategies strategies;

    public MergeRules(MigrationConfig config) {
        this.config = config;
        this.strategies = new ConflictStrategies(config);
    }

    /** The strategy for duplicates of this table across these instances. */
    public record Strategy(String name, String winner, String lastWriteColumn, String chosenBy) {
    }

    /** A column that holds keys of a table in another instance (no FK can say so). */
    public record Reference(String column, String instance, TableRef table) {
    }

    public String originColumn() {
        JsonNode c = config.raw().path("consolidate").path("origin_column");
        return c.isTextual() ? c.asText() : DEFAULT_ORIGIN_COLUMN;
    }

    private Optional<JsonNode> last(List<String> instances, TableRef table, String key) {
        JsonNode found = null;
        for (String instance : instances) {
            found = config.tableRule(instance, table, key).orElse(found);
        }
        return Optional.ofNullable(found);
    }

    /** The configured natural key (tables[].natural_key), if any. */
    public Optional<List<String>> naturalKey(List<String> instances, TableRef table) {
        return last(instances, table, "natural_key").map(n -> {
            List<String> cols = new ArrayList<>();
            n.forEach(c -> cols.add(c.asText()));
            return cols;
        });
    }

    /**
     * The natural keys duplicates are looked for on: tables[].natural_key, else every unique key and non-surrogate
     * primary key that all the given instances' tables have ({@code uniqueKeys} per instance, as in the catalog).
     */
    public List<List<String>> naturalKeys(List<String> instances, TableRef table, List<io.tributary.catalog.TableShape> shapes,
            List<List<List<String>>> uniqueKeys) {
        var configured = naturalKey(instances, table);
        if (configured.isPresent()) {
            for (var shape : shapes) {
                for (String c : configured.get()) {
                    KeyRemapper.column(shape, c);
                }
            }
            return List.of(configured.get());
        }
        java.util.Set<List<String>> keys = new java.util.LinkedHashSet<>();
        for (int n = 0; n < shapes.size(); n++) {
            var shape = shapes.get(n);
            shape.primaryKeyIfAny().ifPresent(pk -> {
                boolean surrogate = pk.columns().size() == 1
                        && KeyRemapper.INTEGER_TYPES.contains(KeyRemapper.column(shape, pk.columns().get(0)).type());
                if (!surrogate) {
                    keys.add(pk.columns());
                }
            });
            keys.addAll(uniqueKeys.get(n));
        }
        return keys.stream().filter(k -> shapes.stream().allMatch(s -> k.stream().allMatch(
                c -> s.column(c).isPresent()))).toList();
    }

    /** False when tables[].key_remapping is none: keys are copied as they are (collisions then fail the copy). */
    public boolean remapKeys(List<String> instances, TableRef table) {
        return !last(instances, table, "key_remapping").map(JsonNode::asText).orElse("offset").equals("none");
    }

    public Strategy strategy(List<String> instances, TableRef table, List<List<String>> columnsByInstance) {
        var r = strategies.resolve(instances, table.toString(), columnsByInstance);
        String name = r.path("strategy").asText();
        String winner = r.path("winner").asText(null);
        if (winner == null) {
            String tie = r.path("tie_break").asText("");
            winner = tie.startsWith("source-wins: ") ? tie.substring("source-wins: ".length()) : null;
        }
        return new Strategy(name, winner, r.path("column").asText(null), r.path("chosen_by").asText());
    }

    /** References declared for this source table: tables[].references {column: instance.schema.table}. */
    public List<Reference> references(String instance, TableRef table) {
        Map<String, Reference> out = new LinkedHashMap<>();
        for (JsonNode t : config.tableRules(instance, table)) {
            t.path("references").fields().forEachRemaining(f -> {
                List<String> parts = TableRef.parseName(f.getValue().asText(), 3, "tables[].references."
                        + f.getKey());
                out.put(f.getKey(), new Reference(f.getKey(), parts.get(0), new TableRef(parts.get(1), parts.get(2))));
            });
        }
        return List.copyOf(out.values());
    }

    public List<String> sourceOrder() {
        return config.sourceIds();
    }
}
