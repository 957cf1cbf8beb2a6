package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.ledger.RunContext;
import io.tributary.warehouse.PartitionStage;
import io.tributary.warehouse.StageResult;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary stage}: a broker table's partition to Parquet on S3, with a Redshift manifest. */
@Command(
        name = "stage",
        header = "Stage a table partition as Parquet files on S3, with a Redshift manifest and the source's figures.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Stream the rows of one partition ([--from, --to) on the partition column, or the whole table) from",
            "the source PostgreSQL into Parquet files (targets.warehouse.compression, zstd by default) uploaded to",
            "s3://<staging_bucket>/<prefix>/part-NNNNN.parquet with multipart uploads (constant memory). The file",
            "count is a multiple of targets.warehouse.slices, each file near target_file_mb. Writes",
            "<prefix>/manifest (a Redshift COPY manifest listing exactly these files, all mandatory) and",
            "<prefix>/stage.json (columns and the source's figures, read by `tributary load`). In the same",
            "REPEATABLE READ snapshot the source database counts and checksums the partition (portable hash, in",
            "target shape). Types are mapped without loss: numeric(p,s) -> DECIMAL(p,s), unbounded numeric is",
            "refused (exit 2) unless targets.warehouse.unbounded_numeric is set, timestamptz -> TIMESTAMP(MICROS,",
            "UTC), json/jsonb/arrays -> JSON text (json_mapping super|text); over-long text is reported in",
            "over_long_text, never truncated. Re-running overwrites the partition's objects and removes leftovers."
        })
final class StageCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--source", required = true, paramLabel = "ID", description = "Source connection id (declared in sources).")
    String source;

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE", description = "The source table (exact names).")
    String table;

    @Option(names = "--from", paramLabel = "TIMESTAMP",
            description = "Partition start, inclusive (ISO-8601 with offset). With --to; without both: the whole table.")
    String from;

    @Option(names = "--to", paramLabel = "TIMESTAMP", description = "Partition end, exclusive (ISO-8601 with offset).")
    String to;

    @Option(names = "--partition-column", paramLabel = "COLUMN",
            description = "The time column of --from/--to (default: targets.warehouse.tables[].partition_column).")
    String partitionColumn;

    @Option(names = "--prefix", paramLabel = "KEY",
            description = "Key prefix in the staging bucket (default: <staging_prefix>/<source>/<table>/<partition>).")
    String prefix;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id for the ledger (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("stage", (summary, metrics) -> {
            TableRef sourceTable = TableRef.parse(table, "--table");
            metrics.label("source", source);
            metrics.label("table", sourceTable.toString());
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = new MigrationConfigLoader().load(Options.configFile(config, context));
            }
            StageResult result = new PartitionStage(context.connections("stage"), context.env(), summary).run(
                    new PartitionStage.Request(migration, source, sourceTable, prefix, partitionColumn, from, to,
                            RunContext.fromEnvironment(context.env(), runId)));
            metrics.rows(result.rows());
            metrics.bytes(result.bytes());
            summary.totalRows(result.rows());
            return result;
        });
    }
}
