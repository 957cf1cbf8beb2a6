package io.tributary.cli;

import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary validate-config}: JSON Schema plus cross-reference checks of migration.yaml. */
@Command(
        name = "validate-config",
        header = "Validate migration.yaml (JSON Schema and cross-references); connects to nothing.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Check migration.yaml against config/migration.schema.json and the cross-reference rules",
            "(declared source ids, duplicates, time zones). Each problem is printed on stderr as",
            "  migration.yaml: $.sources[1].id: <what is wrong>",
            "and the command exits 2. Connects to nothing."
        })
final class ValidateConfigCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("validate-config", (summary, metrics) -> {
            Path file = Options.configFile(config, context);
            MigrationConfigLoader.Validation validation;
            try (var step = summary.begin("validate")) {
                validation = new MigrationConfigLoader().validate(file);
            }
            if (!validation.valid()) {
                throw MigrationConfigLoader.invalid(validation);
            }
            MigrationConfig c = validation.config();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("config", file.toString());
            result.put("valid", true);
            result.put("project", c.project());
            result.put("sources", c.sources().size());
            result.put("source_ids", c.sourceIds());
            result.put("control", Map.of("connection", c.control().connection(), "schema", c.control().schema()));
            result.put("consolidated", c.targets().consolidatedConnection());
            result.put("consolidate_tables", c.consolidateTables().size());
            return result;
        });
    }
}
