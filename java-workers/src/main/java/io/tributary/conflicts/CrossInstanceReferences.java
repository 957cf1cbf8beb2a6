package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.TableRef;
import io.tributary.discover.InventoryJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * (d) A column {@code <x>_id} without a foreign key whose table ({@code <x>s}, {@code <x>es}, {@code <x>ies}
 * for -y, or {@code <x>}) does not exist in its own instance but in another: a reference across databases
 * that the application kept by hand. After consolidation it can become a real foreign key.
 */
final class CrossInstanceReferences {
    private CrossInstanceReferences() {
    }

    static List<Conflict> find(List<ObjectNode> inventories) {
        // table name → schema.table per instance
        Map<String, Map<String, String>> byBareName = new LinkedHashMap<>();
        for (ObjectNode inv : inventories) {
            String instance = inv.path("instance").asText();
            for (JsonNode t : inv.path("tables")) {
                byBareName.computeIfAbsent(t.path("name").asText().toLowerCase(Locale.ROOT), k -> new LinkedHashMap<>())
                        .put(instance, new TableRef(t.path("schema").asText(), t.path("name").asText()).toString());
            }
        }
        List<Conflict> out = new ArrayList<>();
        for (ObjectNode inv : inventories) {
            String instance = inv.path("instance").asText();
            for (JsonNode t : inv.path("tables")) {
                Set<String> withFk = new HashSet<>();
                t.path("foreign_keys").forEach(fk -> fk.path("columns").forEach(c -> withFk.add(c.asText())));
                String table = new TableRef(t.path("schema").asText(), t.path("name").asText()).toString();
                for (JsonNode col : t.path("columns")) {
                    String name = col.path("name").asText();
                    String lower = name.toLowerCase(Locale.ROOT);
                    if (!lower.endsWith("_id") || lower.length() <= 3 || withFk.contains(name)
                            || ShapeConflicts.strings(t.path("primary_key")).equals(List.of(name))) {
                        continue;
                    }
                    String stem = lower.substring(0, lower.length() - 3);
                    Map<String, String> target = null;
                    for (String candidate : candidates(stem)) {
                        if (byBareName.containsKey(candidate)) {
                            target = byBareName.get(candidate);
                            break;
                        }
                    }
                    if (target == null || target.containsKey(instance)) {
                        continue; // no such table anywhere, or it is local (a missing FK, not a cross-instance one)
                    }
                    List<String> instances = new ArrayList<>();
                    instances.add(instance);
                    instances.addAll(target.keySet());
                    String targetTable = target.values().iterator().next();
                    ObjectNode detail = Conflict.obj("column", name, "referenced_table", targetTable,
                            "referenced_in", InventoryJson.strings(List.copyOf(target.keySet())));
                    ObjectNode resolution = Conflict.obj("strategy", "manual",
                            "proposal", "after consolidation check that every " + name + " resolves in " + targetTable
                                    + " (remapped keys included), then add the foreign key");
                    out.add(new Conflict(Conflict.CROSS_INSTANCE_REFERENCE, table, instances, detail, null, null,
                            resolution, ConflictStrategies.overridePath(table, "references." + name)));
                }
            }
        }
        return out;
    }

    private static List<String> candidates(String stem) {
        List<String> out = new ArrayList<>(List.of(stem + "s", stem + "es", stem));
        if (stem.endsWith("y")) {
            out.add(0, stem.substring(0, stem.length() - 1) + "ies");
        }
        return out;
    }
}
