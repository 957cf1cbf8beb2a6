package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The config and the one source table a command works on: shared by copy, stage, load and archive. */
final class SourceTableOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--source", required = true, paramLabel = "ID", description = "Source connection id (declared in sources).")
    String source;

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE",
            description = {"The source table: schema.table, names as written (case-sensitive);",
                    "a name with dots, quotes, =, @, line breaks or edge spaces in double quotes (\"\" for a quote)."})
    String table;

    TableRef tableRef() {
        return TableRef.parse(table, "--table");
    }

    MigrationConfig loadConfig(WorkerContext context) {
        return new MigrationConfigLoader().load(Options.configFile(config, context));
    }
}
