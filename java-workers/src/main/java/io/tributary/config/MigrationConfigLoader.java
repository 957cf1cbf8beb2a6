package io.tributary.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.tributary.catalog.TableRef;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Loads migration.yaml: YAML → JSON Schema (config/migration.schema.json, packaged into the jar) →
 * cross-reference rules → typed {@link MigrationConfig}. Every problem is reported with its JSON path.
 */
public final class MigrationConfigLoader {
    private static final Logger LOG = Logger.getLogger(MigrationConfigLoader.class.getName());
    public static final String SCHEMA_RESOURCE = "/io/tributary/config/migration.schema.json";

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static volatile JsonSchema schema;

    /** Outcome of validation: the problems, and the config when there are none. */
    public record Validation(Path file, List<ConfigProblem> problems, MigrationConfig config) {
        public boolean valid() {
            return problems.isEmpty();
        }

        public String fileName() {
            return file.getFileName() == null ? file.toString() : file.getFileName().toString();
        }

        public List<String> rendered() {
            return problems.stream().map(p -> p.render(fileName())).toList();
        }
    }

    /** Loads a config for a job; any problem is bad input (exit 2), each logged on its own line. */
    public MigrationConfig load(Path file) {
        Validation v = validate(file);
        if (!v.valid()) {
            throw invalid(v);
        }
        return v.config();
    }

    public static JobFailure invalid(Validation v) {
        List<String> lines = v.rendered();
        lines.forEach(LOG::severe);
        String message = lines.size() == 1 ? lines.get(0)
                : v.fileName() + " has " + lines.size() + " problems; first: " + lines.get(0);
        return JobFailure.badInput(message, Map.of("config", v.file().toString(), "problems", lines));
    }

    public Validation validate(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return problem(file, null, "file does not exist");
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
            return problem(file, where, "not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            return problem(file, null, "cannot read: " + e.getMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return problem(file, null, "file is empty");
        }

        List<ConfigProblem> problems = new ArrayList<>();
        List<ValidationMessage> messages = new ArrayList<>(schema().validate(root));
        messages.sort(Comparator.comparing(m -> m.getInstanceLocation().toString()));
        for (ValidationMessage m : messages) {
            problems.add(describe(m));
        }
        problems.addAll(ConfigRules.check(root));
        if (!problems.isEmpty()) {
            return new Validation(file, problems, null);
        }
        return new Validation(file, List.of(), typed(file, root));
    }

    private static Validation problem(Path file, String where, String message) {
        return new Validation(file, List.of(new ConfigProblem(where, message)), null);
    }

    /** Turns a schema error into "path: what is wrong", naming the exact key for unknown/missing keys. */
    private static ConfigProblem describe(ValidationMessage m) {
        String path = m.getInstanceLocation().toString();
        String type = m.getType();
        if ("additionalProperties".equals(type) && m.getProperty() != null) {
            String key = m.getProperty();
            return new ConfigProblem(ConfigProblem.child(path, key), unknownKey(key, allowedKeys(m)));
        }
        if ("required".equals(type) && m.getProperty() != null) {
            return new ConfigProblem(ConfigProblem.child(path, m.getProperty()), "required key is missing");
        }
        String message = m.getMessage();
        if (message.startsWith(path + ": ")) {
            message = message.substring(path.length() + 2);
        }
        return new ConfigProblem(path, message);
    }

    /** The keys the schema allows next to an unknown one (the sibling "properties" of additionalProperties). */
    private static List<String> allowedKeys(ValidationMessage m) {
        String fragment = m.getSchemaLocation().getFragment().toString(); // e.g. /properties/sources/items/additionalProperties
        JsonNode node = schemaDocument();
        for (String part : fragment.replaceFirst("^#?/", "").split("/")) {
            if (part.equals("additionalProperties")) {
                break;
            }
            node = node.path(part.replace("~1", "/").replace("~0", "~"));
        }
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = node.path("properties").fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        return keys;
    }

    private static String unknownKey(String key, List<String> allowed) {
        if (allowed.isEmpty()) {
            return "unknown key";
        }
        String closest = null;
        int best = Integer.MAX_VALUE;
        for (String candidate : allowed) {
            int d = editDistance(key, candidate);
            if (d < best) {
                best = d;
                closest = candidate;
            }
        }
        String hint = best <= Math.max(2, key.length() / 3) ? "did you mean '" + closest + "'? " : "";
        return "unknown key (" + hint + "allowed here: " + String.join(", ", new TreeSet<>(allowed)) + ")";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static MigrationConfig typed(Path file, JsonNode root) {
        JsonNode control = root.path("control");
        List<MigrationConfig.Source> sources = new ArrayList<>();
        for (JsonNode s : root.path("sources")) {
            sources.add(new MigrationConfig.Source(
                    s.path("id").asText(), text(s, "description"), text(s, "target_schema"), text(s, "application")));
        }
        JsonNode targets = root.path("targets");
        List<MigrationConfig.ConsolidateTable> tables = new ArrayList<>();
        for (JsonNode t : root.path("consolidate").path("tables")) {
            List<String> key = new ArrayList<>();
            t.path("key").forEach(k -> key.add(k.asText()));
            String target = text(t, "target_table");
            tables.add(new MigrationConfig.ConsolidateTable(
                    t.path("source").asText(),
                    TableRef.parse(t.path("table").asText(), "consolidate.tables[].table"),
                    target == null ? null : TableRef.parse(target, "consolidate.tables[].target_table"),
                    List.copyOf(key)));
        }
        return new MigrationConfig(
                file,
                root,
                text(root, "project"),
                new MigrationConfig.Control(
                        control.path("connection").asText(),
                        control.hasNonNull("schema") ? control.path("schema").asText()
                                : MigrationConfig.DEFAULT_CONTROL_SCHEMA),
                List.copyOf(sources),
                new MigrationConfig.Targets(
                        targets.path("consolidated").path("connection").asText(),
                        text(targets.path("warehouse"), "connection"),
                        text(targets.path("archive"), "connection")),
                List.copyOf(tables));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static JsonSchema schema() {
        JsonSchema s = schema;
        if (s == null) {
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                    .pathType(PathType.JSON_PATH)
                    .formatAssertionsEnabled(true)
                    .build();
            s = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaDocument(), config);
            schema = s;
        }
        return s;
    }

    private static JsonNode schemaDocument() {
        try (InputStream in = MigrationConfigLoader.class.getResourceAsStream(SCHEMA_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + SCHEMA_RESOURCE + " (built without ../config?)");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
