package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.merge.MergeJob;
import io.tributary.result.JobFailure;
import io.tributary.schema.SchemaBuilder;
import io.tributary.schema.SchemaBuilder.Request;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary schema}: the unified schema in the consolidated PostgreSQL, before and after the data. */
@Command(
        name = "schema",
        header = "Build the unified schema in the target: pre-data before the copy, post-data after it.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Read the source catalogs and create in the target what is missing.",
            "pre-data: schemas, enums and domains, sequences, tables (partitioned tables with their",
            "partitions, CHECK constraints), functions and aggregates; one transaction.",
            "post-data: indexes (built in parallel), primary and unique keys as CREATE UNIQUE INDEX then",
            "ADD CONSTRAINT ... USING INDEX, foreign keys (NOT VALID, then VALIDATE: exit 3 if rows do not",
            "match), triggers, views and materialized views (refreshed), sequences set past the largest value.",
            "With --schemas, whole schemas of the sources are built; otherwise the consolidate.tables of the",
            "config (with their target names). Tables of several sources with the same target are merged:",
            "union of columns, types widened where the sources disagree; every change of shape is listed in",
            "the result. Objects that already exist are left alone, so a re-run is a no-op",
            "(status \"unchanged\"). --dry-run prints the DDL on stdout and changes nothing.",
            "",
            "--whole: each --source is consolidated whole under its own names, so its schema is not rebuilt but",
            "restored from its own pg_dump --schema-only --section=PHASE (pg_restore of the objects the target",
            "lacks): extensions, collations, inheritance, exclusion constraints, constraint and index names,",
            "OWNED BY, identity columns, NOT VALID, comments, grants, views and materialized views come out as",
            "pg_dump describes them; post-data gives every sequence the source's last_value and is_called.",
            "Before any change the target is checked: an extension it cannot create, a collation or an owner",
            "role it lacks is exit 2 naming each and its fix. Grants to roles the target lacks are skipped",
            "and listed in grants_skipped. Needs pg_dump/pg_restore on PATH, of the source's major version or",
            "newer (else exit 2); they read the connection from PG* environment variables, never argv.",
            "--whole with --table: the --source ids are restored whole and the --table sources (none of them a",
            "--source) built table by table, in one call; a --table whose target is a table of a whole source",
            "is exit 2 (merging into a source restored whole would change its schema)."
        })
final class SchemaCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--phase", required = true, paramLabel = "PHASE", description = "pre-data or post-data.")
    String phase;

    @Option(names = "--source", paramLabel = "ID",
            description = "Source connection id; repeat for the same tables in several instances"
                    + " (default: the sources of consolidate.tables).")
    List<String> sources;

    @Option(names = "--schemas", split = ",", paramLabel = "SCHEMA",
            description = "Build these schemas of the sources whole (tables, sequences, functions, views).")
    List<String> schemas;

    @Option(names = "--table", paramLabel = "SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE]",
            description = "A source table to build, with its target name (default: the same); repeatable."
                    + " Replaces consolidate.tables of the config.")
    List<String> tableSpecs;

    @Option(names = "--target", paramLabel = "ID",
            description = "Target connection id (default: targets.consolidated.connection).")
    String target;

    @Option(names = "--parallelism", paramLabel = "N",
            description = "Index builds at once (default: defaults.parallelism in the config, else 2).")
    Integer parallelism;

    @Option(names = "--whole",
            description = "Consolidate each --source whole under its own names: its schema is restored from"
                    + " pg_dump (no --schemas; --table only for other sources, built table by table).")
    boolean whole;

    @Option(names = "--dry-run", description = "Print the DDL that would run; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("schema", (summary, metrics) -> {
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = new MigrationConfigLoader().load(Options.configFile(config, context));
            }
            Map<String, Map<TableRef, TableRef>> tables = new LinkedHashMap<>();
            if (tableSpecs != null && !tableSpecs.isEmpty()) {
                for (String spec : tableSpecs) {
                    MergeJob job = MergeJob.parse(spec, null); // the same SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE] form
                    tables.computeIfAbsent(job.source(), k -> new LinkedHashMap<>()).put(job.table(), job.targetTable());
                }
            }
            List<String> wholeIds = List.of();
            List<String> ids;
            if (whole) {
                if (sources == null || sources.isEmpty()) {
                    throw JobFailure.badInput("--whole restores the --source instances whole: name at least one --source");
                }
                // --source names the instances restored whole; --table the other sources' tables, built here.
                wholeIds = new ArrayList<>(new LinkedHashSet<>(sources));
                LinkedHashSet<String> all = new LinkedHashSet<>(wholeIds);
                all.addAll(tables.keySet());
                ids = new ArrayList<>(all);
            } else {
                ids = new ArrayList<>(new LinkedHashSet<>(sources != null ? sources
                        : !tables.isEmpty() ? new ArrayList<>(tables.keySet())
                        : migration.consolidateTables().stream().map(MigrationConfig.ConsolidateTable::source).toList()));
            }
            if (tables.isEmpty() && (schemas == null || schemas.isEmpty()) && !whole) {
                for (MigrationConfig.ConsolidateTable t : migration.consolidateTables()) {
                    if (!ids.contains(t.source())) {
                        continue;
                    }
                    String targetSchema = migration.source(t.source()).map(MigrationConfig.Source::targetSchema)
                            .orElse(null);
                    TableRef to = t.targetTable() != null ? t.targetTable()
                            : targetSchema != null ? t.table().inSchema(targetSchema) : t.table();
                    tables.computeIfAbsent(t.source(), k -> new LinkedHashMap<>()).put(t.table(), to);
                }
            }
            int n = parallelism != null ? parallelism : migration.raw().path("defaults").path("parallelism").asInt(2);
            String targetId = target != null ? target : migration.targets().consolidatedConnection();
            Request request = new Request(migration, phase, ids, schemas == null ? List.of() : schemas, tables,
                    targetId, dryRun, n, wholeIds);
            SchemaBuilder.Result result = new SchemaBuilder(context.connections("schema"), summary).run(request);
            if (dryRun) {
                for (String ddl : result.statements()) {
                    context.out().println(ddl.strip() + (ddl.strip().endsWith(";") ? "" : ";"));
                }
            }
            return result;
        });
    }
}
