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
                boolean glob = instance.contains("*") || instance.contains("?") || instance.contains("[");
                if (!glob && !sourcePaths.containsKey(instance)) {
                    problems.add(new ConfigProblem(path + ".match", "instance '" + instance
                            + "' is not a declared source id (declared: " + declared + ")"));
                }
            }
            JsonNode sourceWins = entry.path("source_wins");
            if (sourceWins.isTextual() && !sourcePaths.containsKey(sourceWins.asText())) {
                problems.add(new ConfigProblem(path + ".source_wins", "'" + sourceWins.asText()
                        + "' is not a declared source id (declared: " + declared + ")"));
            }
            if ("last-write-wins".equals(entry.path("conflict_strategy").asText())
                    && !entry.hasNonNull("last_write_column")) {
                problems.add(new ConfigProblem(path + ".last_write_column",
                        "required when conflict_strategy is last-write-wins"));
            }
        }

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
}
