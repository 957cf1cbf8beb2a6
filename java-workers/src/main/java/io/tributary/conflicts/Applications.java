package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.config.MigrationConfig;
import io.tributary.discover.InventoryJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which source instances hold the same application. Instances of one application are merged into one database;
 * unrelated applications that happen to share a table name ({@code public.customer}) must never be. Two instances
 * are the same application when their schemas are alike: the Jaccard similarity of their (schema, table, column)
 * sets is at least {@link #SAME_APPLICATION}; groups are the connected components of that relation (single
 * linkage), in the config's source order. A source's {@code application} key in migration.yaml decides instead:
 * sources naming the same application are one, sources naming different ones are kept apart, and a named source
 * joins no unnamed group by similarity.
 */
public final class Applications {
    /**
     * Shards or regions of one application share most of their columns; drift and leftovers add a column or a
     * table here and there (the demo's two trading platforms: 0.77, 123 of 159, src_eu holding stale tables src_us
     * lacks). Unrelated applications share a few generic names at most, and a triple only matches when the table
     * name matches too (Pagila and the tests' invoicing application, which both have public.customer: 0.00, 0 of
     * 114). Half of the union in common lies far from both.
     */
    public static final double SAME_APPLICATION = 0.5;

    /** One application: its name (the config's, else its first instance's id) and its instances in source order. */
    public record Application(String name, List<String> instances, boolean named) {
    }

    /** The similarity of two instances' schemas: shared and total (schema, table, column) triples. */
    public record Similarity(String a, String b, int shared, int union) {
        public double jaccard() {
            return union == 0 ? 0 : (double) shared / union;
        }
    }

    private final List<Application> applications;
    private final List<Similarity> similarities;

    private Applications(List<Application> applications, List<Similarity> similarities) {
        this.applications = applications;
        this.similarities = similarities;
    }

    public List<Application> all() {
        return applications;
    }

    /** Groups {@code inventories} (in the config's source order) into applications. */
    public static Applications of(MigrationConfig config, List<ObjectNode> inventories) {
        List<String> ids = new ArrayList<>();
        Map<String, Set<String>> columns = new LinkedHashMap<>();
        for (ObjectNode inv : inventories) {
            String id = inv.path("instance").asText();
            ids.add(id);
            columns.put(id, columnsOf(inv));
        }
        List<Similarity> similarities = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            for (int j = i + 1; j < ids.size(); j++) {
                Set<String> a = columns.get(ids.get(i));
                Set<String> b = columns.get(ids.get(j));
                Set<String> shared = new HashSet<>(a);
                shared.retainAll(b);
                similarities.add(new Similarity(ids.get(i), ids.get(j), shared.size(), a.size() + b.size() - shared.size()));
            }
        }
        Map<String, String> named = new LinkedHashMap<>();
        for (String id : ids) {
            config.source(id).map(MigrationConfig.Source::application).ifPresent(app -> named.put(id, app));
        }
        // Union-find over the instances: same configured name, or (both unnamed and) similar enough.
        Map<String, String> root = new LinkedHashMap<>();
        ids.forEach(id -> root.put(id, id));
        for (int i = 0; i < ids.size(); i++) {
            for (int j = i + 1; j < ids.size(); j++) {
                String a = ids.get(i);
                String b = ids.get(j);
                boolean same = named.containsKey(a) || named.containsKey(b)
                        ? named.containsKey(a) && named.get(a).equals(named.get(b))
                        : similarity(similarities, a, b).jaccard() >= SAME_APPLICATION;
                if (same) {
                    root.put(find(root, b), find(root, a));
                }
            }
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String id : ids) {
            groups.computeIfAbsent(find(root, id), k -> new ArrayList<>()).add(id);
        }
        List<Application> out = new ArrayList<>();
        for (List<String> members : groups.values()) {
            String name = named.get(members.get(0));
            out.add(new Application(name != null ? name : members.get(0), List.copyOf(members), name != null));
        }
        return new Applications(List.copyOf(out), List.copyOf(similarities));
    }

    /** The inventories of one application, in the order given. */
    public List<ObjectNode> inventoriesOf(Application app, List<ObjectNode> inventories) {
        return inventories.stream().filter(i -> app.instances().contains(i.path("instance").asText())).toList();
    }

    /** For conflicts.json (merged into its top level): the applications, every pair's similarity and the rule. */
    public ObjectNode toJson() {
        ObjectNode doc = InventoryJson.object();
        doc.put("application_rule", "instances whose (schema, table, column) sets have a Jaccard similarity >= "
                + SAME_APPLICATION + " are one application (connected components); a source's `application` in"
                + " migration.yaml decides instead");
        doc.put("application_threshold", SAME_APPLICATION);
        ArrayNode apps = doc.putArray("applications");
        for (Application a : applications) {
            ObjectNode o = apps.addObject();
            o.put("name", a.name());
            o.set("instances", InventoryJson.strings(a.instances()));
            o.put("named_in_config", a.named());
        }
        ArrayNode pairs = doc.putArray("similarities");
        for (Similarity s : similarities) {
            ObjectNode o = pairs.addObject();
            o.set("instances", InventoryJson.strings(List.of(s.a(), s.b())));
            o.put("jaccard", Math.round(s.jaccard() * 1000) / 1000.0);
            o.put("shared_columns", s.shared());
            o.put("union_columns", s.union());
        }
        return doc;
    }

    static Set<String> columnsOf(JsonNode inventory) {
        Set<String> out = new HashSet<>();
        for (JsonNode t : inventory.path("tables")) {
            for (JsonNode c : t.path("columns")) {
                // NUL never occurs in an identifier, so the triple is unambiguous whatever the names hold.
                out.add(t.path("schema").asText() + '\0' + t.path("name").asText() + '\0' + c.path("name").asText());
            }
        }
        return out;
    }

    private static Similarity similarity(List<Similarity> all, String a, String b) {
        return all.stream().filter(s -> s.a().equals(a) && s.b().equals(b)).findFirst().orElseThrow();
    }

    private static String find(Map<String, String> root, String id) {
        String r = id;
        while (!root.get(r).equals(r)) {
            r = root.get(r);
        }
        return r;
    }
}
