package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.diff.DiffRequest;
import io.tributary.merge.MergeProjection;
import io.tributary.diff.TableDiff;
import io.tributary.discover.InventoryJson;
import io.tributary.result.JobFailure;
import io.tributary.result.ResultWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary diff}: which keys differ between a source and a target table, by checksum bisection. */
@Command(
        name = "diff",
        header = "Keys that differ between a source and a target table: checksum bisection, then row by row.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Compare a source table with its target table. Pass 1: each database computes the table's rows",
            "and checksum (as `tributary checksum` does) in its own READ ONLY snapshot, concurrently; equal",
            "means identical (exit 0). With a single NOT NULL integer key pass 1 already computes the first",
            "--segments segments, whose sums are those checksums. Differing key ranges are split into",
            "segments and both sides checksum all segments of a pass in one query each; only differing",
            "segments are split again. A differing segment of at most --leaf-rows rows is compared row by",
            "row (key and row hash) and each key is reported as missing_on_target, extra_on_target or",
            "different (with the differing columns). Stops after --max-differences keys (\"truncated\": true). Exit 3 when they differ."
        })
final class DiffCommand implements Callable<Integer> {
    /** Differences listed in the result line; all of them go to --output. */
    static final int INLINE_DIFFERENCES = 100;

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The migration config (default: $TRIBUTARY_CONFIG); only read for the defaults of"
                    + " --target and --target-table.")
    Path config;

    @Option(names = "--source", required = true, paramLabel = "ID", description = "Source connection id.")
    String source;

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE",
            description = {"The source table: schema.table, names as written (case-sensitive);",
                    "a name with dots, quotes, =, @, line breaks or edge spaces in double quotes (\"\" for a quote)."})
    String table;

    @Option(names = "--target", paramLabel = "ID",
            description = "Target connection id (default: targets.consolidated.connection).")
    String target;

    @Option(names = "--target-table", paramLabel = "SCHEMA.TABLE",
            description = "Target table (default as for copy: consolidate.tables[].target_table, else the"
                    + " source's target_schema, else the same name).")
    String targetTable;

    @Option(names = "--key", split = ",", paramLabel = "COL",
            description = "Key columns, unique on both sides (default: the source's primary key, else the"
                    + " target's).")
    List<String> key;

    @Option(names = "--columns", split = ",", paramLabel = "COL",
            description = "Columns to compare, in this order (the target shape). Default: all of the source's,"
                    + " in table order.")
    List<String> columns;

    @Option(names = "--max-differences", paramLabel = "N", defaultValue = "1000",
            description = "Stop after N differing keys, 1 to 100000 (default: ${DEFAULT-VALUE}).")
    int maxDifferences;

    @Option(names = "--segments", paramLabel = "N", defaultValue = "32",
            description = "Segments per bisection pass (default: ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--leaf-rows", paramLabel = "N", defaultValue = "10000",
            description = "Compare a differing segment row by row once it holds at most N rows per side"
                    + " (default: ${DEFAULT-VALUE}).")
    int leafRows;

    @Option(names = "--source-key-offset", paramLabel = "N", defaultValue = "0",
            description = "Remapped keys: the target's key is the source's (single integer) key + N"
                    + " (default: ${DEFAULT-VALUE}).")
    long sourceKeyOffset;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Also write every difference found to FILE as JSON (the result line lists the first "
                    + INLINE_DIFFERENCES + ").")
    Path output;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("diff", (summary, metrics) -> {
            TableRef sourceTable = TableRef.parse(table, "--table");
            TableRef explicitTarget = targetTable == null ? null : TableRef.parse(targetTable, "--target-table");
            metrics.label("source", source);
            metrics.label("table", sourceTable.toString());
            String targetId = target;
            TableRef resolvedTarget = explicitTarget;
            if (targetId == null || resolvedTarget == null) {
                MigrationConfig migration = loadConfigIfAny(context, summary, targetId == null);
                if (targetId == null) {
                    targetId = migration.targets().consolidatedConnection();
                }
                if (resolvedTarget == null) {
                    resolvedTarget = migration == null ? sourceTable : defaultTargetTable(migration, sourceTable);
                }
            }
            // A table merged from several instances: compare as the copy projected it (tributary resolve's decisions).
            DiffRequest.Merged merged = null;
            MigrationConfig forMerge = sourceKeyOffset == 0 ? loadConfigIfAny(context, summary, false) : null;
            if (forMerge != null && forMerge.source(source).isPresent()) {
                merged = MergeProjection.forDiff(forMerge, context.connections("diff"), source, sourceTable, targetId);
            }
            DiffRequest request = new DiffRequest(source, sourceTable, targetId, resolvedTarget, key, columns,
                    maxDifferences, segments, leafRows, sourceKeyOffset, merged);
            TableDiff.Outcome outcome = new TableDiff(context.connections("diff"), summary).run(request);
            Map<String, Object> result = new LinkedHashMap<>(outcome.result());
            List<?> all = outcome.differences();
            result.put("differences", all.subList(0, Math.min(all.size(), INLINE_DIFFERENCES)));
            if (output != null) {
                try (var step = summary.begin("write differences")) {
                    Map<String, Object> doc = new LinkedHashMap<>(outcome.result());
                    doc.put("differences", all);
                    InventoryJson.write(output, ResultWriter.json().valueToTree(doc));
                } catch (IOException e) {
                    throw JobFailure.badInput("cannot write --output " + output + ": " + e.getMessage());
                }
                result.put("output", output.toAbsolutePath().toString());
            }
            long rows = ((Number) result.get("rows_source")).longValue();
            metrics.rows(rows);
            summary.totalRows(rows);
            if (!outcome.identical()) {
                throw JobFailure.verificationFailed(message(result), result);
            }
            return result;
        });
    }

    private MigrationConfig loadConfigIfAny(WorkerContext context, io.tributary.result.RunSummary summary,
            boolean required) {
        String fromEnv = context.env().get("TRIBUTARY_CONFIG");
        if (config == null && (fromEnv == null || fromEnv.isBlank())) {
            if (required) {
                throw JobFailure.badInput("--target ID is required (or --config FILE / TRIBUTARY_CONFIG, whose"
                        + " targets.consolidated.connection is the default)");
            }
            return null;
        }
        try (var step = summary.begin("config")) {
            return new MigrationConfigLoader().load(Options.configFile(config, context));
        }
    }

    /** As copy resolves it: consolidate.tables[].target_table, else the source's target_schema, else the same. */
    private TableRef defaultTargetTable(MigrationConfig migration, TableRef sourceTable) {
        return migration.consolidateEntry(source, sourceTable)
                .map(MigrationConfig.ConsolidateTable::targetTable)
                .orElseGet(() -> migration.source(source)
                        .map(MigrationConfig.Source::targetSchema)
                        .map(sourceTable::inSchema)
                        .orElse(sourceTable));
    }

    private static String message(Map<String, Object> r) {
        return r.get("table") + " differs between " + r.get("source") + " and " + r.get("target") + " "
                + r.get("target_table") + ": " + r.get("missing_on_target") + " missing on target, "
                + r.get("extra_on_target") + " extra on target, " + r.get("different") + " different"
                + (Boolean.TRUE.equals(r.get("truncated")) ? " (truncated at --max-differences)" : "");
    }
}
