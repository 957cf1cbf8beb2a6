package io.tributary.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cross-references the JSON Schema cannot express: ids that must be declared, entries that must be
 * unique, values that must name something real. Each problem carries the JSON path of the offending key.
 */
final class ConfigRules {
    private ConfigRules() {
    }

    static List<ConfigProblem> check(JsonNode root) {
        List<ConfigProblem> problems = new ArrayList<>();
        Map<String, String> sourcePaths = declaredSources(root, problems);
        String declared = String.join(", ", sourcePaths.keySet());

        JsonNode consolidated = root.path("targets").path("consolidated").path("connection");
        if (consolidated.isTextual() && sourcePaths.containsKey(consolidated.asText())) {
            problems.add(new ConfigProblem("$.targets.consolidated.connection", "'" + consolidated.asText()
                    + "' is a source; the consolidated target must be a different connection"));
        }

        JsonNode control = root.path("control").path("connection");
        if (control.isTextual() && sourcePaths.containsKey(control.asText())) {
            problems.add(new ConfigProblem("$.control.connection", "'" + control.asText()
                    + "' is a source; the control schema lives on a target"));
        }
        JsonNode warehouse = root.path("targets").path("warehouse").path("connection");
        if (warehouse.isTextual() && sourcePaths.containsKey(warehouse.asText())) {
            problems.add(new ConfigProblem("$.targets.warehouse.connection", "'" + warehouse.asText()
                    + "' is a source; loads write to the warehouse"));
        }
        archiveProblems(root.path("targets").path("archive"), problems);
        applicationsKeptApart(root.path("sources"), problems);

        JsonNode tables = root.path("consolidate").path("tables");
        Map<String, String> seen = new HashMap<>();
        for (int i = 0; i < tables.size(); i++) {
            JsonNode entry = tables.get(i);
            String path = "$.consolidate.tables[" + i + "]";
            JsonNode source = entry.path("source");
            if (source.isTextual() && !sourcePaths.containsKey(source.asText())) {
                problems.add(new ConfigProblem(path + ".source", "'" + source.asText()
                        + "' is not a declared source id (declared: " + declared + ")"));
            }
            String key = source.asText() + " " + entry.path("table").asText();
            String first = seen.putIfAbsent(key, path);
            if (first != null) {
                problems.add(new ConfigProblem(path, key + " is listed twice (first at " + first + ")"));
            }
        }

        JsonNode overrides = root.path("tables");
        for (int i = 0; i < overrides.size(); i++) {
            JsonNode entry = overrides.get(i);
            String path = "$.tables[" + i + "]";
            JsonNode match = entry.path("match");
            if (match.isTextual()) {
                String instance = match.asText().split("\\.", -1)[0];
                if (!TableGlob.isGlob(instance) && !sourcePaths.containsKey(instance)) {
                    problems.add(new ConfigProblem(path + ".match", "instance '" + instance
                            + "' is not a declared source id (declared: " + declared + ")"));
                }
            }
            JsonNode sourceWins = entry.path("source_wins");
            if (sourceWins.isTextual() && !sourcePaths.containsKey(sourceWins.asText())) {
                problems.add(new ConfigProblem(path + ".source_wins", "'" + sourceWins.asText()
                        + "' is not a declared source id (declared: " + declared + ")"));
            }
            String strategy = entry.path("conflict_strategy").asText(null);
            if ("last-write-wins".equals(strategy) && !entry.hasNonNull("last_write_column")) {
                problems.add(new ConfigProblem(path + ".last_write_column",
                        "required when conflict_strategy is last-write-wins"));
            }
            if (strategy != null && !"source-wins".equals(strategy) && !"last-write-wins".equals(strategy)
                    && entry.has("source_wins")) {
                problems.add(new ConfigProblem(path + ".source_wins", "only applies with conflict_strategy"
                        + " source-wins or last-write-wins (as the tie-break), not " + strategy));
            }
            if (strategy != null && !"last-write-wins".equals(strategy) && entry.has("last_write_column")) {
                problems.add(new ConfigProblem(path + ".last_write_column",
                        "only applies with conflict_strategy last-write-wins, not " + strategy));
            }
            if ("none".equals(entry.path("key_remapping").asText(null)) && entry.has("references")) {
                problems.add(new ConfigProblem(path + ".references",
                        "references are rewritten through key offsets, which key_remapping: none turns off"));
            }
            entry.path("references").fields().forEachRemaining(f -> {
                String instance = f.getValue().asText().split("\\.", -1)[0];
                if (!sourcePaths.containsKey(instance)) {
                    problems.add(new ConfigProblem(path + ".references." + f.getKey(), "instance '" + instance
                            + "' is not a declared source id (declared: " + declared + ")"));
                }
            });
        }

        splits(root, sourcePaths, declared, problems);

        JsonNode timezone = root.path("warehouse").path("timezone");
        if (timezone.isTextual()) {
            try {
                ZoneId.of(timezone.asText());
            } catch (DateTimeException e) {
                problems.add(new ConfigProblem("$.warehouse.timezone",
                        "unknown time zone '" + timezone.asText() + "' (use an IANA name such as America/New_York)"));
            }
        }
        return problems;
    }

    /** consolidate.split: each table owned by one target database, targets that are not sources. */
    private static void splits(JsonNode root, Map<String, String> sourcePaths, String declared,
            List<ConfigProblem> problems) {
        Map<String, String> listed = new HashMap<>();
        JsonNode tables = root.path("consolidate").path("tables");
        for (int i = 0; i < tables.size(); i++) {
            listed.put(tables.get(i).path("source").asText() + " " + tables.get(i).path("table").asText(),
                    "$.consolidate.tables[" + i + "]");
        }
        Map<String, String> splitSources = new HashMap<>();
        JsonNode splits = root.path("consolidate").path("split");
        for (int i = 0; i < splits.size(); i++) {
            JsonNode split = splits.get(i);
            String path = "$.consolidate.split[" + i + "]";
            String source = split.path("source").asText();
            if (!sourcePaths.containsKey(source)) {
                problems.add(new ConfigProblem(path + ".source", "'" + source
                        + "' is not a declared source id (declared: " + declared + ")"));
            }
            String first = splitSources.putIfAbsent(source, path);
            if (first != null) {
                problems.add(new ConfigProblem(path + ".source", "source '" + source + "' is split twice (first at "
                        + first + "); list all its targets in one entry"));
            }
            var targets = split.path("targets").fields();
            while (targets.hasNext()) {
                var t = targets.next();
                String tpath = path + ".targets." + t.getKey();
                if (sourcePaths.containsKey(t.getKey())) {
                    problems.add(new ConfigProblem(tpath, "'" + t.getKey()
                            + "' is a source; a split target must be another database"));
                }
                for (int j = 0; j < t.getValue().size(); j++) {
                    String table = t.getValue().get(j).asText();
                    String at = tpath + "[" + j + "]";
                    String before = listed.putIfAbsent(source + " " + table, at);
                    if (before != null) {
                        problems.add(new ConfigProblem(at, source + " " + table + " already has an owner at " + before
                                + "; a table goes to exactly one target"));
                    }
                }
            }
        }
    }

    /** Two sources naming different applications must not be sent into one schema: that would merge them by name. */
    private static void applicationsKeptApart(JsonNode sources, List<ConfigProblem> problems) {
        Map<String, Integer> firstWithSchema = new HashMap<>();
        for (int i = 0; i < sources.size(); i++) {
            JsonNode s = sources.get(i);
            if (!s.path("target_schema").isTextual() || !s.path("application").isTextual()) {
                continue;
            }
            Integer first = firstWithSchema.putIfAbsent(s.path("target_schema").asText(), i);
            if (first != null && !sources.get(first).path("application").asText().equals(s.path("application").asText())) {
                problems.add(new ConfigProblem("$.sources[" + i + "].target_schema", "'" + s.path("target_schema").asText()
                        + "' is also the target_schema of " + sources.get(first).path("id").asText() + " ($.sources[" + first
                        + "]), another application ('" + sources.get(first).path("application").asText() + "' vs '"
                        + s.path("application").asText() + "'): applications are kept apart, give each its own schema"));
            }
        }
    }

    private static Map<String, String> declaredSources(JsonNode root, List<ConfigProblem> problems) {
        Map<String, String> paths = new LinkedHashMap<>();
        JsonNode sources = root.path("sources");
        for (int i = 0; i < sources.size(); i++) {
            JsonNode id = sources.get(i).path("id");
            if (!id.isTextual()) {
                continue;
            }
            String path = "$.sources[" + i + "].id";
            String first = paths.putIfAbsent(id.asText(), path);
            if (first != null) {
                problems.add(new ConfigProblem(path, "duplicate source id '" + id.asText() + "' (first at " + first + ")"));
            }
        }
        return paths;
    }

    /** An archive outlives the hold before a drop, and expires by its own retention tag (dags/tributary/config.py too). */
    private static void archiveProblems(JsonNode archive, List<ConfigProblem> problems) {
        if (!archive.isObject()) {
            return;
        }
        int retention = archive.path("retention_days").asInt(2555);
        int hold = archive.path("drop_source_hold_days").asInt(30);
        if (retention <= hold) {
            problems.add(new ConfigProblem("$.targets.archive.retention_days", retention + " days would expire the"
                    + " archive before the source may be dropped (drop_source_hold_days: " + hold
                    + "): keep archives longer than the hold"));
        }
        if (archive.path("lifecycle").asBoolean(true) && !archive.path("object_tags").asBoolean(true)) {
            problems.add(new ConfigProblem("$.targets.archive.lifecycle", "the lifecycle rule expires each archive by"
                    + " its retention-days tag: it needs object_tags: true (or lifecycle: false)"));
        }
    }
}
