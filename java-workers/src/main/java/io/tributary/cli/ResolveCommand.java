package io.tributary.cli;

import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.ledger.RunContext;
import io.tributary.merge.ConfiguredJobs;
import io.tributary.merge.MergeJob;
import io.tributary.merge.ResolveResult;
import io.tributary.merge.Resolver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary resolve}: key offsets, key map and conflict queue for a many-to-one consolidation. */
@Command(
        name = "resolve",
        header = "Decide key offsets and settle duplicate natural keys before a many-to-one copy.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "For every target table fed by several instances: give each instance a key offset so surrogate keys",
            "never collide (tributary.key_offsets), find natural keys present in several instances and settle",
            "them by the table's conflict_strategy: source-wins, last-write-wins, or manual (the losing row is",
            "parked in tributary.conflict_queue with both versions). A losing row's key is folded into the",
            "winner's (tributary.key_map), so every foreign key that pointed at it follows. `tributary copy` then",
            "reads these decisions and projects keys, foreign keys and an origin column (tributary_source).",
            "Decisions are kept: a re-run only adds what is new. Tables: --table, else consolidate.tables and",
            "consolidate.split of the config."
        })
final class ResolveCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--table", paramLabel = "SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE][@TARGET]",
            description = {"A source table and, optionally, its target table and target connection", "(repeatable)."})
    List<String> tables = new ArrayList<>();

    @Option(names = "--target", paramLabel = "ID",
            description = "Target connection of --table entries without @TARGET (default: targets.consolidated).")
    String target;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id for the ledger (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Option(names = "--dry-run", description = "Decide and report exactly what a real run would record, in a control transaction"
            + " that is rolled back: nothing is recorded.")
    boolean dryRun;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("resolve", (summary, metrics) -> {
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = new MigrationConfigLoader().load(Options.configFile(config, context));
            }
            String defaultTarget = target != null ? target : migration.targets().consolidatedConnection();
            List<MergeJob> jobs = new ArrayList<>();
            for (String t : tables) {
                jobs.add(MergeJob.parse(t, defaultTarget));
            }
            if (jobs.isEmpty()) {
                jobs.addAll(ConfiguredJobs.of(migration));
            }
            ResolveResult result = new Resolver(migration, context.connections("resolve"), summary)
                    .run(jobs, RunContext.fromEnvironment(context.env(), runId), dryRun);
            summary.totalRows(result.duplicates());
            return result;
        });
    }
}
