package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.discover.InventoryJson;
import io.tributary.result.RunSummary;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Conflicts that consolidating several instances into one database would run into, over their
 * inventories: (a) same table, different shape; (b) colliding surrogate keys; (c) natural keys present in
 * several instances; (d) references to tables that live in another instance. Each comes with a proposed
 * resolution that migration.yaml can override. Counting (b) and (c) reads sorted key streams from the
 * instances (constant memory); shape checks read the inventories only.
 */
public final class ConflictDetector {

    /** How to detect: with data (connections) or from the inventories only. */
    public record Options(boolean catalogOnly, boolean readUnused, int sampleSize) {
    }

    private final MigrationConfig config;
    private final ConnectionFactory connections;
    private final RunSummary summary;
    private final Options options;

    public ConflictDetector(MigrationConfig config, ConnectionFactory connections, RunSummary summary, Options options) {
        this.config = config;
        this.connections = connections;
        this.summary = summary;
        this.options = options;
    }

    /**
     * The conflicts document; {@code inventories} in the order of the config's sources. Only instances of one
     * application are compared (see {@link Applications}): unrelated applications are never merged, so a table
     * name they share is no conflict.
     */
    public ObjectNode detect(List<ObjectNode> inventories) {
        List<String> instances = inventories.stream().map(i -> i.path("instance").asText()).toList();
        Applications applications = Applications.of(config, inventories);
        List<Conflict> conflicts = new ArrayList<>();
        for (Applications.Application app : applications.all()) {
            if (app.instances().size() > 1) {
                conflicts.addAll(detectWithin(applications.inventoriesOf(app, inventories)));
            }
        }
        ObjectNode doc = InventoryJson.object();
        doc.put("format", 1);
        doc.put("generated_at", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        doc.set("instances", InventoryJson.strings(instances));
        doc.put("counted", !options.catalogOnly());
        doc.setAll(applications.toJson());
        ObjectNode byKind = doc.putObject("summary");
        conflicts.forEach(c -> byKind.put(c.kind(), byKind.path(c.kind()).asInt(0) + 1));
        ArrayNode list = doc.putArray("conflicts");
        conflicts.forEach(c -> list.add(c.toJson()));
        return doc;
    }

    private List<Conflict> detectWithin(List<ObjectNode> inventories) {
        Map<String, Map<String, JsonNode>> tables = tablesByName(inventories);
        List<Conflict> conflicts = new ArrayList<>();
        try (var step = summary.begin("shapes")) {
            conflicts.addAll(new ShapeConflicts(tables).find(inventories));
            step.rows(conflicts.size());
        }
        KeyConflicts keys = new KeyConflicts(connections, options, new ConflictStrategies(config));
        try (var step = summary.begin("key overlaps")) {
            List<Conflict> found = keys.overlaps(tables);
            conflicts.addAll(found);
            step.rows(found.size());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, null);
        }
        try (var step = summary.begin("duplicate keys")) {
            List<Conflict> found = keys.duplicates(tables);
            conflicts.addAll(found);
            step.rows(found.size());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, null);
        }
        try (var step = summary.begin("cross-instance references")) {
            List<Conflict> found = CrossInstanceReferences.find(inventories);
            conflicts.addAll(found);
            step.rows(found.size());
        }
        return conflicts;
    }

    /** schema.table → instance → table node, sorted by name, instances in source order. */
    static Map<String, Map<String, JsonNode>> tablesByName(List<ObjectNode> inventories) {
        Map<String, Map<String, JsonNode>> out = new TreeMap<>();
        for (ObjectNode inv : inventories) {
            String instance = inv.path("instance").asText();
            for (JsonNode t : inv.path("tables")) {
                out.computeIfAbsent(new TableRef(t.path("schema").asText(), t.path("name").asText()).toString(), k -> new LinkedHashMap<>())
                        .put(instance, t);
            }
        }
        return out;
    }
}
