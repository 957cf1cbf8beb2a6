package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;
import io.tributary.result.JobFailure;
import io.tributary.warehouse.PartitionStage;
import io.tributary.warehouse.PartitionWindow;
import io.tributary.warehouse.StageResult;
import io.tributary.warehouse.StageSeriesResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
            "<prefix>/stage.json (columns and the source's figures), and records both, with each file's size and",
            "ETag, in the control schema (warehouse_stages): what `tributary load` trusts, never the bucket. In the same",
            "REPEATABLE READ snapshot the source database counts and checksums the partition (portable hash, in",
            "target shape). Types are mapped without loss: numeric(p,s) -> DECIMAL(p,s), unbounded numeric is",
            "refused (exit 2) unless targets.warehouse.unbounded_numeric is set, timestamptz -> TIMESTAMP(MICROS,",
            "UTC), json/jsonb/arrays -> JSON text (json_mapping super|text); over-long text is reported in",
            "over_long_text, never truncated. Re-running overwrites the partition's objects and removes leftovers."
        })
final class StageCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Mixin
    SourceTableOptions subject;

    @Mixin
    PartitionOptions partition;

    @Option(names = "--incremental",
            description = {"Stage the rows past the table's watermark instead of a partition: watermark_column in"
                    + " (stored watermark, its current maximum] (everything up to it when none is stored yet), for"
                    + " `tributary load --incremental` to upsert by the table's key. In the same snapshot the source"
                    + " counts and checksums the delta and the rows it touches (partition_column between the delta's"
                    + " least and greatest value), which the load re-verifies after the upsert."})
    boolean incremental;

    @Option(names = "--target-table", paramLabel = "SCHEMA.TABLE",
            description = "With --incremental: the warehouse table whose watermark applies (default: as `load`).")
    String targetTable;

    @Option(names = "--prefix", paramLabel = "KEY",
            description = "Key prefix in the staging bucket (default: <staging_prefix>/<source>/<table>/<partition>).")
    String prefix;

    @Option(names = "--dry-run", description = "Decide as the stage would (partition, prefix, types and their"
            + " refusals, the delta past the watermark, the source's rows and checksum, the file count) on reads only,"
            + " and print it; nothing is written to the bucket or the control schema.")
    boolean dryRun;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id for the ledger (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("stage", (summary, metrics) -> {
            TableRef sourceTable = subject.tableRef();
            metrics.label("source", subject.source);
            metrics.label("table", sourceTable.toString());
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = subject.loadConfig(context);
            }
            PartitionStage stage = new PartitionStage(context.connections("stage"), context.env(), summary);
            PartitionStage.Request request = new PartitionStage.Request(migration, subject.source, sourceTable, prefix,
                    partition.partitionColumn, partition.from, partition.to,
                    RunContext.fromEnvironment(context.env(), runId), incremental,
                    targetTable == null ? null : TableRef.parse(targetTable, "--target-table"), dryRun);
            if (incremental && partition.series != null && !partition.series.isEmpty()) {
                throw JobFailure.badInput("--incremental and --partition exclude each other");
            }
            if (partition.series != null && !partition.series.isEmpty()) {
                if (dryRun) {
                    throw JobFailure.badInput("--dry-run takes one partition (--from/--to, the whole table, or"
                            + " --incremental)");
                }
                StageSeriesResult series = stage.runSeries(request, PartitionWindow.parseAll(partition.series));
                metrics.rows(series.rows());
                metrics.bytes(series.bytes());
                summary.totalRows(series.rows());
                return series;
            }
            if (dryRun) {
                return stage.dryRun(request);
            }
            StageResult result = stage.run(request);
            metrics.rows(result.rows());
            metrics.bytes(result.bytes());
            summary.totalRows(result.rows());
            return result;
        });
    }
}
