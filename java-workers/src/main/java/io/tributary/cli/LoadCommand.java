package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;
import io.tributary.result.JobFailure;
import io.tributary.warehouse.LoadResult;
import io.tributary.warehouse.LoadSeriesResult;
import io.tributary.warehouse.PartitionLoad;
import io.tributary.warehouse.PartitionWindow;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary load}: a staged partition into the warehouse, in one verified transaction. */
@Command(
        name = "load",
        header = "Load a staged partition into the warehouse (redshift or postgres dialect): one verified transaction.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Load what `tributary stage` wrote into the warehouse table. The expected figures, the column types and",
            "the files come from what stage recorded in the control schema (warehouse_stages), never from the bucket:",
            "a file, the manifest or stage.json changed since (size, ETag, content) is exit 3 with nothing loaded, a",
            "column type the dialect does not create is exit 2. The load follows one load plan: create the target if absent (redshift: DISTSTYLE KEY on the configured distkey,",
            "COMPOUND SORTKEY with the time column first, ENCODE AZ64/ZSTD), then in ONE transaction: temporary",
            "staging table, bulk ingest (redshift: COPY ... FROM '<manifest>' IAM_ROLE ... FORMAT AS PARQUET",
            "MANIFEST; postgres: each staged file streamed from S3 with COPY FROM STDIN), DELETE of exactly the",
            "partition, INSERT from staging, the warehouse's own count and checksum of the partition, compared",
            "with the stage's figures before COMMIT (a mismatch rolls back: exit 3, nothing changed). Re-running",
            "a partition replaces it: same rows, same checksum. Records the partition in the control schema.",
            "With --incremental the staged delta is upserted by key instead (redshift MERGE), and the table's",
            "watermark (targets.warehouse.tables[].watermark_column) advances to the stage's high mark after the",
            "verified COMMIT; a --full-reload sets it to the target's maximum; daily partitions leave it alone."
        })
final class LoadCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Mixin
    SourceTableOptions subject;

    @Mixin
    PartitionOptions partition;

    @Option(names = "--target-table", paramLabel = "SCHEMA.TABLE",
            description = "Warehouse table (default: targets.warehouse.tables[].target_table, else the table in"
                    + " targets.warehouse.schema).")
    String targetTable;

    @Option(names = "--manifest", required = true, paramLabel = "S3_URL",
            description = "The manifest `tributary stage` wrote (s3://bucket/prefix/manifest); repeated, one per"
                    + " --partition, in the same order.")
    List<String> manifests;

    @Option(names = "--incremental",
            description = {"Upsert what `tributary stage --incremental` staged (rows past the watermark) by the"
                    + " table's key: redshift MERGE, postgres delete-by-key + insert, in one transaction; verified"
                    + " before COMMIT twice: the upserted rows against the staged delta, and the range the delta"
                    + " touched against the source's figures. The watermark then advances to the stage's high mark."})
    boolean incremental;

    @Option(names = "--full-reload", description = "Replace the whole table (the stage covered the whole table).")
    boolean fullReload;

    @Option(names = "--dialect", paramLabel = "redshift|postgres",
            description = "Warehouse dialect (default: targets.warehouse.dialect).")
    String dialect;

    @Option(names = "--dry-run", description = "Print the load plan's SQL on stderr and change nothing.")
    boolean dryRun;

    @Option(names = "--run-id", paramLabel = "ID",
            description = "Run id for the ledger (default: $AIRFLOW_CTX_DAG_RUN_ID, else manual__<time>).")
    String runId;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("load", (summary, metrics) -> {
            TableRef sourceTable = subject.tableRef();
            TableRef explicitTarget = targetTable == null ? null : TableRef.parse(targetTable, "--target-table");
            metrics.label("source", subject.source);
            metrics.label("table", sourceTable.toString());
            MigrationConfig migration;
            try (var step = summary.begin("config")) {
                migration = subject.loadConfig(context);
            }
            PartitionLoad load = new PartitionLoad(context.connections("load"), context.env(), summary);
            List<String> partitions = partition.series;
            boolean series = partitions != null && !partitions.isEmpty();
            if (series && partitions.size() != manifests.size()) {
                throw JobFailure.badInput("a series takes one --manifest per --partition, in the same order ("
                        + manifests.size() + " manifests, " + partitions.size() + " partitions)");
            }
            if (!series && manifests.size() != 1) {
                throw JobFailure.badInput("several --manifest values need one --partition each");
            }
            PartitionLoad.Request request = new PartitionLoad.Request(migration, subject.source, sourceTable,
                    explicitTarget, series ? null : manifests.get(0), partition.partitionColumn, partition.from,
                    partition.to, fullReload, dialect, RunContext.fromEnvironment(context.env(), runId), incremental);
            if (series) {
                if (dryRun) {
                    throw JobFailure.badInput("--dry-run takes one partition (--manifest with --from/--to)");
                }
                List<PartitionWindow> windows = PartitionWindow.parseAll(partitions);
                List<PartitionLoad.SeriesItem> items = new java.util.ArrayList<>();
                for (int i = 0; i < windows.size(); i++) {
                    items.add(new PartitionLoad.SeriesItem(manifests.get(i), windows.get(i)));
                }
                LoadSeriesResult result = load.runSeries(request, items);
                metrics.rows(result.rows());
                metrics.bytes(result.bytes());
                summary.totalRows(result.rows());
                return result;
            }
            if (dryRun) {
                return load.dryRun(request);
            }
            LoadResult result = load.run(request);
            metrics.rows(result.rows());
            metrics.bytes(result.bytes());
            summary.totalRows(result.rows());
            return result;
        });
    }
}
