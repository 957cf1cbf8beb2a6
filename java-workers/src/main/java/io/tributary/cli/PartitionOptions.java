package io.tributary.cli;

import picocli.CommandLine.Option;

/** One time partition of a table, [--from, --to) on its partition column: shared by stage and load. */
final class PartitionOptions {
    @Option(names = "--from", paramLabel = "TIMESTAMP",
            description = "Partition start, inclusive (ISO-8601 with offset; load: the staged one). With --to;"
                    + " stage without both: the whole table.")
    String from;

    @Option(names = "--to", paramLabel = "TIMESTAMP",
            description = "Partition end, exclusive (ISO-8601 with offset; load: the staged one).")
    String to;

    @Option(names = "--partition-column", paramLabel = "COLUMN",
            description = "The time column of --from/--to (default: targets.warehouse.tables[].partition_column).")
    String partitionColumn;
}
