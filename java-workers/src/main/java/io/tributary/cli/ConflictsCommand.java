package io.tributary.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.conflicts.ConflictDetector;
import io.tributary.discover.InventoryJson;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary conflicts}: what consolidating the configured sources would collide on, and the fix. */
@Command(
        name = "conflicts",
        header = "Cross-instance conflicts (shapes, key collisions, duplicate natural keys) with resolutions.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Compare the inventories of the configured sources (from `tributary discover`) and report what",
            "consolidating them into one database would run into, each with a proposed resolution:",
            "  table_kind, primary_key, column_set, column_type, enum_labels, domain_definition",
            "                         same name, different shape (type widening, enum label union, ...)",
            "  key_overlap            integer primary keys present in several instances (key remapping)",
            "  duplicate_natural_key[_case_insensitive]",
            "                         unique keys equal across instances (source-wins, last-write-wins, manual)",
            "  cross_instance_reference  <x>_id columns whose table lives only in another instance",
            "Key collisions and duplicates are counted exactly by merge-joining sorted streams of keys (or",
            "64-bit hashes of them) read from each instance with constant memory; a table with no scans",
            "since the statistics reset is not read unless --read-unused. Only instances of one application",
            "are compared: instances whose (schema, table, column) sets have a Jaccard similarity of 0.5 or",
            "more are one application (a source's `application` in the config decides instead); the",
            "grouping and every pair's figure go to the output too. Read-only. The conflicts go to",
            "--output; the JSON result is a summary."
        })
final class ConflictsCommand implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(ConflictsCommand.class.getName());

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--inventory", required = true, paramLabel = "FILE",
            description = "An inventory from `tributary discover` (repeat: one per source instance).")
    List<Path> inventories;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Where to write the conflicts (default: conflicts.json in the working directory).")
    Path output;

    @Option(names = "--catalog-only",
            description = "Use the inventories only: connect to nothing; collisions and duplicates are not counted.")
    boolean catalogOnly;

    @Option(names = "--read-unused",
            description = "Also count keys of tables that show no scans (marks them as used in the statistics).")
    boolean readUnused;

    @Option(names = "--sample", paramLabel = "N", defaultValue = "5",
            description = "Keys shown per conflict (default: ${DEFAULT-VALUE}).")
    int sample;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("conflicts", (summary, metrics) -> {
            MigrationConfig migration;
            List<ObjectNode> ordered = new ArrayList<>();
            try (var step = summary.begin("read inputs")) {
                migration = new MigrationConfigLoader().load(Options.configFile(config, context));
                Map<String, ObjectNode> byInstance = new LinkedHashMap<>();
                for (Path file : inventories) {
                    ObjectNode inv = InventoryJson.readInventory(file);
                    String instance = inv.path("instance").asText();
                    if (byInstance.put(instance, inv) != null) {
                        throw JobFailure.badInput("two inventories for instance " + instance);
                    }
                }
                for (String id : migration.sourceIds()) {
                    if (byInstance.containsKey(id)) {
                        ordered.add(byInstance.remove(id));
                    } else {
                        LOG.warning("no inventory for source " + id + "; it takes no part in the comparison");
                    }
                }
                if (!byInstance.isEmpty()) {
                    LOG.warning("ignoring inventories of instances that are not sources in "
                            + migration.fileName() + ": " + String.join(", ", byInstance.keySet()));
                }
                if (ordered.isEmpty()) {
                    throw JobFailure.badInput("none of the inventories is of a source declared in " + migration.fileName());
                }
            }
            if (sample < 0) {
                throw JobFailure.badInput("--sample must be 0 or more");
            }
            ObjectNode doc = new ConflictDetector(migration, catalogOnly ? null : context.connections("conflicts"),
                    summary, new ConflictDetector.Options(catalogOnly, readUnused, sample)).detect(ordered);
            Path file = output != null ? output : Path.of("conflicts.json");
            long bytes;
            try (var step = summary.begin("write conflicts")) {
                bytes = InventoryJson.write(file, doc);
            } catch (IOException e) {
                throw JobFailure.badInput("cannot write --output " + file + ": " + e.getMessage());
            }
            int total = doc.path("conflicts").size();
            summary.totalRows(total);
            Map<String, Object> result = new LinkedHashMap<>();
            List<String> instances = new ArrayList<>();
            doc.path("instances").forEach(i -> instances.add(i.asText()));
            result.put("instances", instances);
            result.put("conflicts", total);
            Map<String, Integer> byKind = new LinkedHashMap<>();
            doc.path("summary").fields().forEachRemaining(e -> byKind.put(e.getKey(), e.getValue().asInt()));
            result.put("by_kind", byKind);
            result.put("manual", countManual(doc.path("conflicts")));
            result.put("bytes", bytes);
            result.put("seconds", Math.round(summary.elapsedSeconds() * 1000) / 1000.0);
            result.put("output", file.toAbsolutePath().toString());
            return result;
        });
    }

    private static int countManual(JsonNode conflicts) {
        int n = 0;
        for (JsonNode c : conflicts) {
            if ("manual".equals(c.path("resolution").path("strategy").asText())) {
                n++;
            }
        }
        return n;
    }
}
