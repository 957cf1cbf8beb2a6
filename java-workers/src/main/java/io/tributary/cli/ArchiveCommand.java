package io.tributary.cli;

import io.tributary.archive.ArchiveRequest;
import io.tributary.archive.ArchiveResult;
import io.tributary.archive.TableArchive;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary archive}: one table to S3 as Parquet, cataloged and verified by reading it back. */
@Command(
        name = "archive",
        header = "Archive one table to S3 (Parquet ZSTD, SSE, tags), catalog it, verify by reading it back.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "In one REPEATABLE READ READ ONLY snapshot of the source, the source database counts and",
            "checksums the table, its DDL is read from the catalog, and its rows stream into ZSTD Parquet",
            "objects under <prefix>/<instance>/<schema>/<table>/<run>/part-NNNNN.parquet with the",
            "configured server-side encryption, tags and storage class (targets.archive), encrypted in the",
            "worker first when client_side_encryption is set (S3 Encryption Client; kms or raw-aes keyring,",
            "the raw key only from the environment variable key_env names). The catalog entry goes to the",
            "control schema (archive_catalog) and next to the data as catalog.json; the prefix",
            "gets its lifecycle rule (retention). Then the objects are read back, loaded into a temporary",
            "table and checksummed by PostgreSQL: equal to the source = verified (exit 3 otherwise).",
            "A table already archived and verified (this run, or an earlier one whose source is unchanged)",
            "is not written again (status \"skipped\"). Nothing in the source is modified, unless",
            "--drop-source: then the table is dropped once verified, the drop_source_hold_days hold has",
            "passed and it still holds exactly the archived rows; audited."
        })
final class ArchiveCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Mixin
    SourceTableOptions subject;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id: the archive's folder and lineage (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Option(names = "--class", paramLabel = "CLASS", defaultValue = "unknown",
            description = "The table's class from the discovery plan (catalog and tags; default: ${DEFAULT-VALUE}).")
    String tableClass;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Why it is archived (the plan's classification reasons); repeatable.")
    List<String> reasons;

    @Option(names = "--drop-source",
            description = "Drop the source table after a verified archive, once the retention hold has passed (audited).")
    boolean dropSource;

    @Option(names = "--dry-run", description = "Say what would happen (archive or skip, rows, location, retention; with"
            + " --drop-source whether the drop would go ahead) and change nothing: no object, catalog or audit row.")
    boolean dryRun;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("archive", (summary, metrics) -> {
            TableRef ref = subject.tableRef();
            metrics.label("source", subject.source);
            metrics.label("table", ref.toString());
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = subject.loadConfig(context);
            }
            ArchiveRequest request = new ArchiveRequest(migration, subject.source, ref,
                    RunContext.fromEnvironment(context.env(), runId), tableClass,
                    reasons == null ? List.of() : List.copyOf(reasons), dropSource);
            TableArchive archive = new TableArchive(context.connections("archive"), context.env(), summary);
            if (dryRun) {
                return archive.preview(request);
            }
            ArchiveResult result = archive.run(request);
            if ("archived".equals(result.status())) {
                metrics.rows(result.rows());
                metrics.bytes(result.bytes());
            }
            summary.totalRows(result.rows());
            return result;
        });
    }
}
