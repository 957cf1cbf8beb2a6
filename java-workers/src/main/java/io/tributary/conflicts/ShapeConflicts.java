package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.TableRef;
import io.tributary.discover.InventoryJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** (a) The same table or type in several instances with different shapes, from the inventories alone. */
final class ShapeConflicts {
    private final Map<String, Map<String, JsonNode>> tables;

    ShapeConflicts(Map<String, Map<String, JsonNode>> tables) {
        this.tables = tables;
    }

    List<Conflict> find(List<ObjectNode> inventories) {
        List<Conflict> out = new ArrayList<>();
        tables.forEach((name, byInstance) -> {
            if (byInstance.size() >= 2) {
                tableKind(name, byInstance, out);
                primaryKey(name, byInstance, out);
                columns(name, byInstance, out);
            }
        });
        enums(inventories, out);
        domains(inventories, out);
        return out;
    }

    private static List<String> instances(Map<String, ?> m) {
        return List.copyOf(m.keySet());
    }

    private void tableKind(String name, Map<String, JsonNode> byInstance, List<Conflict> out) {
        ObjectNode kinds = InventoryJson.object();
        Set<String> distinct = new LinkedHashSet<>();
        String partitionKey = null;
        for (var e : byInstance.entrySet()) {
            String kind = e.getValue().path("kind").asText();
            kinds.put(e.getKey(), kind);
            distinct.add(kind);
            if ("partitioned".equals(kind) && partitionKey == null) {
                partitionKey = e.getValue().path("partition_key").asText(null);
            }
        }
        if (distinct.size() < 2) {
            return;
        }
        ObjectNode resolution = Conflict.obj("strategy", "adopt-partitioned", "partition_key", partitionKey,
                "note", "create the consolidated table partitioned; rows of the plain tables are routed to partitions");
        out.add(new Conflict(Conflict.TABLE_KIND, name, instances(byInstance), Conflict.obj("kinds", kinds), null, null,
                resolution, ConflictStrategies.overridePath(name, "skip")));
    }

    private void primaryKey(String name, Map<String, JsonNode> byInstance, List<Conflict> out) {
        ObjectNode keys = InventoryJson.object();
        Set<List<String>> distinct = new LinkedHashSet<>();
        for (var e : byInstance.entrySet()) {
            List<String> pk = strings(e.getValue().path("primary_key"));
            keys.set(e.getKey(), InventoryJson.strings(pk));
            distinct.add(pk);
        }
        if (distinct.size() < 2) {
            return;
        }
        // The widest key, when it contains all the others, stays unique for the union of the rows.
        List<String> widest = distinct.stream().max((a, b) -> Integer.compare(a.size(), b.size())).orElseThrow();
        boolean containsAll = distinct.stream().allMatch(widest::containsAll);
        ObjectNode resolution = containsAll && !widest.isEmpty()
                ? Conflict.obj("strategy", "widest-key", "columns", InventoryJson.strings(widest))
                : Conflict.obj("strategy", "manual", "note", "no key contains the others");
        out.add(new Conflict(Conflict.PRIMARY_KEY, name, instances(byInstance), Conflict.obj("primary_keys", keys), null,
                null, resolution, ConflictStrategies.overridePath(name, "key")));
    }

    private void columns(String name, Map<String, JsonNode> byInstance, List<Conflict> out) {
        Map<String, Map<String, JsonNode>> byColumn = new LinkedHashMap<>();
        for (var e : byInstance.entrySet()) {
            for (JsonNode col : e.getValue().path("columns")) {
                byColumn.computeIfAbsent(col.path("name").asText(), k -> new LinkedHashMap<>()).put(e.getKey(), col);
            }
        }
        ObjectNode missing = InventoryJson.object();
        ArrayNode add = InventoryJson.array();
        boolean manual = false;
        for (var c : byColumn.entrySet()) {
            Map<String, JsonNode> present = c.getValue();
            if (present.size() < byInstance.size()) {
                JsonNode col = present.values().iterator().next();
                List<String> absent = byInstance.keySet().stream().filter(i -> !present.containsKey(i)).toList();
                missing.set(c.getKey(), Conflict.obj("present_in", InventoryJson.strings(instances(present)),
                        "missing_in", InventoryJson.strings(absent), "type", col.path("type").asText(),
                        "nullable", col.path("nullable").asBoolean(), "default", col.path("default").asText(null)));
                String fill;
                if (!col.path("default").isNull() && col.has("default")) {
                    fill = "default";
                } else if (col.path("nullable").asBoolean()) {
                    fill = "null";
                } else {
                    fill = "manual";
                    manual = true;
                }
                add.add(Conflict.obj("name", c.getKey(), "type", col.path("type").asText(), "fill", fill,
                        "default", col.path("default").asText(null)));
            } else {
                types(name, c.getKey(), present, out);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        ObjectNode resolution = manual
                ? Conflict.obj("strategy", "manual", "add_columns", add,
                        "note", "a NOT NULL column without default: rows from the other instances need a value")
                : Conflict.obj("strategy", "add-column", "add_columns", add);
        out.add(new Conflict(Conflict.COLUMN_SET, name, instances(byInstance), Conflict.obj("columns", missing), null,
                null, resolution, ConflictStrategies.overridePath(name, "columns")));
    }

    private void types(String table, String column, Map<String, JsonNode> present, List<Conflict> out) {
        ObjectNode types = InventoryJson.object();
        List<String> all = new ArrayList<>();
        for (var e : present.entrySet()) {
            String type = e.getValue().path("type").asText();
            types.put(e.getKey(), type);
            all.add(type);
        }
        if (new LinkedHashSet<>(all).size() < 2) {
            return;
        }
        Optional<String> wide = TypeWidening.widen(all);
        ObjectNode resolution = wide.isPresent()
                ? Conflict.obj("strategy", "type-widening", "target_type", wide.get())
                : Conflict.obj("strategy", "manual", "note", "no lossless common type");
        out.add(new Conflict(Conflict.COLUMN_TYPE, table, instances(present),
                Conflict.obj("column", column, "types", types), null, null, resolution,
                ConflictStrategies.overridePath(table, "column_types." + column)));
    }

    private void enums(List<ObjectNode> inventories, List<Conflict> out) {
        Map<String, Map<String, List<String>>> byName = new LinkedHashMap<>();
        for (ObjectNode inv : inventories) {
            for (JsonNode e : inv.path("enums")) {
                byName.computeIfAbsent(new TableRef(e.path("schema").asText(), e.path("name").asText()).toString(),
                        k -> new LinkedHashMap<>())
                        .put(inv.path("instance").asText(), strings(e.path("labels")));
            }
        }
        byName.forEach((name, labels) -> {
            if (labels.size() < 2 || new LinkedHashSet<>(labels.values()).size() < 2) {
                return;
            }
            ObjectNode detail = InventoryJson.object();
            ObjectNode perInstance = detail.putObject("labels");
            labels.forEach((i, l) -> perInstance.set(i, InventoryJson.strings(l)));
            detail.set("used_by", InventoryJson.strings(usedBy(inventories, name)));
            List<String> union = TypeWidening.unionLabels(new ArrayList<>(labels.values()));
            out.add(new Conflict(Conflict.ENUM_LABELS, name, instances(labels), detail, null, null,
                    Conflict.obj("strategy", "enum-union", "labels", InventoryJson.strings(union)),
                    "types[" + name + "].labels"));
        });
    }

    private void domains(List<ObjectNode> inventories, List<Conflict> out) {
        Map<String, Map<String, JsonNode>> byName = new LinkedHashMap<>();
        for (ObjectNode inv : inventories) {
            for (JsonNode d : inv.path("domains")) {
                byName.computeIfAbsent(new TableRef(d.path("schema").asText(), d.path("name").asText()).toString(),
                        k -> new LinkedHashMap<>())
                        .put(inv.path("instance").asText(), d);
            }
        }
        byName.forEach((name, defs) -> {
            Set<String> distinct = new LinkedHashSet<>();
            ObjectNode perInstance = InventoryJson.object();
            defs.forEach((i, d) -> {
                String def = d.path("base_type").asText() + (d.path("not_null").asBoolean() ? " NOT NULL" : "")
                        + " " + strings(d.path("checks"));
                distinct.add(def);
                perInstance.put(i, def);
            });
            if (defs.size() >= 2 && distinct.size() >= 2) {
                List<String> bases = defs.values().stream().map(d -> d.path("base_type").asText()).toList();
                ObjectNode resolution = Conflict.obj("strategy", "manual",
                        "base_type", TypeWidening.widen(bases).orElse(null),
                        "note", "constraints differ: decide which checks the consolidated domain keeps");
                out.add(new Conflict(Conflict.DOMAIN_DEFINITION, name, instances(defs),
                        Conflict.obj("definitions", perInstance), null, null, resolution, "types[" + name + "]"));
            }
        });
    }

    private static List<String> usedBy(List<ObjectNode> inventories, String type) {
        Set<String> out = new LinkedHashSet<>();
        String bare = type.startsWith("public.") ? type.substring("public.".length()) : null;
        for (ObjectNode inv : inventories) {
            for (JsonNode t : inv.path("tables")) {
                for (JsonNode c : t.path("columns")) {
                    String ct = c.path("type").asText().replace("[]", "");
                    if (ct.equals(type) || ct.equals(bare)) {
                        out.add(new TableRef(t.path("schema").asText(), t.path("name").asText()) + "."
                                + TableRef.quoteIfNeeded(c.path("name").asText()));
                    }
                }
            }
        }
        return new ArrayList<>(out);
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
