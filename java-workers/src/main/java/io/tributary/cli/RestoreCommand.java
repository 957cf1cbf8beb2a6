package io.tributary.cli;

import io.tributary.archive.RestoreRequest;
import io.tributary.archive.RestoreResult;
import io.tributary.archive.TableRestore;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.ledger.RunContext;
import io.tributary.result.JobFailure;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary restore}: an archived table back into PostgreSQL, verified against the catalog. */
@Command(
        name = "restore",
        header = "Restore an archived table into a PostgreSQL connection; verify its checksum against the catalog.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Look up the catalog entry, make its objects readable (objects in GLACIER or DEEP_ARCHIVE: ask",
            "S3 to restore them, then poll; while S3 is still restoring, exit 4 = try again later), then in",
            "one transaction on the target: create the enums/domains and the table from the archived DDL,",
            "load the Parquet rows, add keys and indexes (not foreign keys), and compute the checksum there.",
            "It commits only when rows and checksum equal the source's figures in the catalog (exit 3",
            "otherwise). A target table that already holds exactly the archived rows is left as it is",
            "(status \"skipped\"); one holding anything else is refused. A client-side encrypted archive is",
            "decrypted with the keyring its catalog entry names; without that key (or with a wrong one):",
            "exit 2, nothing created."
        })
final class RestoreCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--entry", required = true, paramLabel = "ID",
            description = "Archive id (tributary catalog search), or instance.schema.table for its newest verified archive.")
    String entry;

    @Option(names = "--target", paramLabel = "ID", description = "Connection to restore into (required unless --thaw-only).")
    String target;

    @Option(names = "--target-table", paramLabel = "SCHEMA.TABLE", description = "Table to create (default: the archived name).")
    String targetTable;

    @Option(names = "--thaw-only",
            description = "Only make the objects readable (request the S3 restore, report progress); load nothing.")
    boolean thawOnly;

    @Option(names = "--thaw-days", paramLabel = "N", defaultValue = "7",
            description = "Days S3 keeps the restored copy readable (default: ${DEFAULT-VALUE}).")
    int thawDays;

    @Option(names = "--thaw-tier", paramLabel = "TIER", defaultValue = "Standard",
            description = "S3 restore tier: Expedited, Standard or Bulk (default: ${DEFAULT-VALUE}).")
    String thawTier;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "0",
            description = "Wait this long for S3 restores before giving up with exit 4 (default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Option(names = "--poll", paramLabel = "SECONDS", defaultValue = "30",
            description = "Seconds between checks while waiting (default: ${DEFAULT-VALUE}).")
    int pollSeconds;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id for the audit log (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Option(names = "--dry-run", description = "Say what would happen (thaw, restore, skip; the DDL) and change"
            + " nothing: no S3 restore requested, no table created.")
    boolean dryRun;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("restore", (summary, metrics) -> {
            if (!thawOnly && (target == null || target.isBlank())) {
                throw JobFailure.badInput("--target ID is required (the connection to restore into), unless --thaw-only");
            }
            if (!java.util.Set.of("Expedited", "Standard", "Bulk").contains(thawTier)) {
                throw JobFailure.badInput("--thaw-tier must be Expedited, Standard or Bulk, not '" + thawTier + "'");
            }
            TableRef ref = targetTable == null ? null : TableRef.parse(targetTable, "--target-table");
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = new MigrationConfigLoader().load(Options.configFile(config, context));
            }
            metrics.label("entry", entry);
            RestoreRequest request = new RestoreRequest(migration, entry, target, ref,
                    RunContext.fromEnvironment(context.env(), runId), thawOnly, thawDays, thawTier, waitSeconds,
                    pollSeconds);
            TableRestore restore = new TableRestore(context.connections("restore"), context.env(), summary);
            if (dryRun) {
                return restore.preview(request);
            }
            RestoreResult result = restore.run(request);
            if ("restored".equals(result.status())) {
                metrics.rows(result.rows());
            }
            summary.totalRows(result.rows());
            return result;
        });
    }
}
