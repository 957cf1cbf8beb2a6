package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.connect.ConnectionFactory;
import io.tributary.copy.CopyRequest;
import io.tributary.copy.CopyResult;
import io.tributary.copy.TableCopy;
import io.tributary.ledger.RunContext;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary copy}: one table, PostgreSQL to PostgreSQL, streamed, verified and recorded. */
@Command(
        name = "copy",
        header = "Copy one table PostgreSQL to PostgreSQL: streamed binary COPY, verified, recorded.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Copy one table from a source PostgreSQL into the target PostgreSQL by streaming binary COPY",
            "(constant memory, no temporary files). A big table is cut into key ranges (integer key:",
            "equal-width ranges; other keys: sampled quantiles; no usable key: ctid page ranges), planned",
            "once and stored in the chunk ledger, and copied by --parallelism workers that all read one",
            "exported source snapshot. Each chunk is one target transaction: COPY and, beside it, the",
            "source's checksum of the range in the snapshot; the ledger marks it landed (with its transaction",
            "id) and commits. Then one grouped read of the target checksums every landed chunk (GROUP BY",
            "xmin); a chunk is copied only when both sides agree. A mismatching chunk's rows are deleted and",
            "the command exits 3 naming its key range. Chunk checksums add up to the table checksum. A re-run",
            "after a crash (even kill -9) reuses the plan, verifies chunks that landed and copies only the",
            "others. A table the ledger already has as copied is skipped (status \"skipped\") if",
            "this run would select the same rows the same way (a fingerprint of the SELECT is kept in the",
            "ledger); if not (tributary resolve decided differently since), it is refused with exit 2.",
            "A target holding rows the ledger does not account for is refused unless --truncate."
        })
final class CopyCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Mixin
    SourceTableOptions subject;

    @Option(names = "--target", paramLabel = "ID",
            description = "Target connection id (default: targets.consolidated.connection).")
    String target;

    @Option(names = "--target-table", paramLabel = "SCHEMA.TABLE",
            description = "Target table (default: consolidate.tables[].target_table, else the source's"
                    + " target_schema, else the source name).")
    String targetTable;

    @Option(names = "--truncate", description = "Replace rows already in the target table (TRUNCATE in the copy's transaction; where"
                    + " several sources fill the table, DELETE of this source's rows only, by the origin column).")
    boolean truncate;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id for the ledger (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Mixin
    ChunkOptions chunks;

    @Option(names = "--snapshot", paramLabel = "ID",
            description = "Copy in this exported source snapshot (held by tributary follow --prepare, which logs its"
                    + " id and records it in the control schema's follow_slots) instead of exporting one.")
    String snapshot;

    @Option(names = "--dry-run", description = "Print what the copy would do (copy, resume, skip, truncate; rows and"
            + " chunks; the SELECT) and change nothing; a copy that would be refused is refused the same way.")
    boolean dryRun;

    @Option(names = "--progress-every", paramLabel = "SECONDS", defaultValue = "5",
            description = "Seconds between progress lines on stderr and progress updates in the control schema"
                    + " (default: ${DEFAULT-VALUE}).")
    double progressSeconds;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("copy", (summary, metrics) -> {
            TableRef sourceTable = subject.tableRef();
            TableRef explicitTarget = targetTable == null ? null : TableRef.parse(targetTable, "--target-table");
            metrics.label("source", subject.source);
            metrics.label("table", sourceTable.toString());
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = subject.loadConfig(context);
            }
            ConnectionFactory connections = context.connections("copy");
            CopyRequest request = new CopyRequest(migration, subject.source, sourceTable, target, explicitTarget, truncate,
                    RunContext.fromEnvironment(context.env(), runId), progressSeconds,
                    CopyRequest.SelectionShaper.MERGE_DECISIONS, chunks.chunking(migration, subject.source, sourceTable),
                    snapshot);
            if (dryRun) {
                return new TableCopy(connections, summary).preview(request);
            }
            CopyResult result = new TableCopy(connections, summary).run(request);
            if (CopyResult.COPIED.equals(result.status())) {
                metrics.rows(result.rows());
                metrics.bytes(result.bytes());
            }
            summary.totalRows(result.rows());
            return result;
        });
    }
}
