package io.tributary.cli;

import io.tributary.archive.ArchiveCatalog;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.result.TextTable;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary catalog}: the archive catalog; {@code catalog search} finds archived tables. */
@Command(
        name = "catalog",
        header = "The archive catalog: find archived tables (see `catalog search`).",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        commandListHeading = "%nCommands:%n",
        description = {
            "The archive catalog lives in the control schema (archive_catalog) and, per archive, as catalog.json",
            "next to the Parquet files. Format: docs/archive-catalog-format.md."
        },
        subcommands = {CatalogCommand.Search.class})
final class CatalogCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Override
    public Integer call() {
        return root.context().refuse("catalog", JobFailure.badInput("missing subcommand; try 'tributary catalog search --help'"));
    }

    /** {@code tributary catalog search}. */
    @Command(
            name = "search",
            header = "Search archived tables by name, tag, column, class or date.",
            mixinStandardHelpOptions = true,
            descriptionHeading = "%n",
            optionListHeading = "%nOptions:%n",
            description = {
                "List catalog entries matching every given criterion (none = all), newest first, as a table on",
                "stderr; the JSON result lists the same entries. Names and columns are case-insensitive globs:",
                "--name 'legacy_*' matches the table name, schema.table or instance.schema.table.",
                "Read-only: never creates the control schema."
            })
    static final class Search implements Callable<Integer> {
        @ParentCommand
        CatalogCommand catalog;

        @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
        Path config;

        @Option(names = "--name", paramLabel = "GLOB", description = "Table name, schema.table or instance.schema.table.")
        String name;

        @Option(names = "--tag", paramLabel = "KEY[=VALUE]", description = "Objects' tag, e.g. class=unknown or source-instance=src_eu.")
        String tag;

        @Option(names = "--column", paramLabel = "GLOB", description = "A column name the archived table has.")
        String column;

        @Option(names = "--class", paramLabel = "CLASS", description = "Classification: unknown, application, broker.")
        String tableClass;

        @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "Archived on this day (UTC).")
        String date;

        @Option(names = "--since", paramLabel = "YYYY-MM-DD", description = "Archived on or after this day (UTC).")
        String since;

        @Option(names = "--until", paramLabel = "YYYY-MM-DD", description = "Archived on or before this day (UTC).")
        String until;

        @Option(names = "--status", paramLabel = "STATUS", description = "written, verified or mismatch.")
        String status;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N entries (default: ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            WorkerContext context = catalog.root.context();
            return context.runJob("catalog search", (summary, metrics) -> {
                LocalDate from = day(date != null ? date : since, date != null ? "--date" : "--since");
                LocalDate to = day(date != null ? date : until, date != null ? "--date" : "--until");
                MigrationConfig migration = new MigrationConfigLoader().load(Options.configFile(config, context));
                String controlId = migration.control().connection();
                ControlSchema control = new ControlSchema(migration.control().schema());
                ConnectionFactory connections = context.connections("catalog search");
                connections.uri(controlId);
                ArchiveCatalog.Criteria criteria = new ArchiveCatalog.Criteria(
                        name, tag, column, tableClass, from, to, status, limit);
                List<ArchiveCatalog.Hit> hits;
                try (var step = summary.begin("search catalog"); Connection c = connections.open(controlId)) {
                    hits = control.exists(c) ? new ArchiveCatalog(control).search(c, criteria) : List.of();
                    step.rows(hits.size());
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, controlId);
                }
                context.err().print(render(hits));
                context.err().flush();
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("control", controlId);
                result.put("count", hits.size());
                result.put("entries", hits);
                return result;
            });
        }

        private static LocalDate day(String text, String option) {
            if (text == null) {
                return null;
            }
            try {
                return LocalDate.parse(text);
            } catch (DateTimeParseException e) {
                throw JobFailure.badInput(option + " '" + text + "' must be a date as YYYY-MM-DD");
            }
        }
    }

    static String render(List<ArchiveCatalog.Hit> hits) {
        if (hits.isEmpty()) {
            return "no archived table matches\n";
        }
        TextTable table = new TextTable("ARCHIVE ID", "CLASS", "STATUS", ">ROWS", "CHECKSUM", "STORAGE", "ARCHIVED",
                "RETAIN UNTIL", "COLUMNS");
        for (ArchiveCatalog.Hit h : hits) {
            table.add(h.archiveId(), h.tableClass(), h.status() + (h.sourceDroppedAt() == null ? "" : ", source dropped"),
                    RunSummary.count(h.rows()), h.archiveChecksum() == null ? h.sourceChecksum() : h.archiveChecksum(),
                    h.storageClass(), h.archivedAt() == null ? "" : h.archivedAt().substring(0, 10), h.retainUntil(),
                    String.join(", ", h.matchedColumns()));
        }
        return table.render("");
    }
}
