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

    @Option(names = "--partition", paramLabel = "[NAME=]FROM/TO",
            description = {"One partition of a series (repeatable; excludes --from/--to). stage: each is staged in"
                    + " turn, in its own snapshot, under <prefix>/<NAME> (default prefix <staging_prefix>/<source>/"
                    + "<table>), with its own manifest, receipt, ledger row and source figures; the result lists"
                    + " every partition, and table_rows/rows_outside tell whether the series covered the whole"
                    + " table. load: one --manifest per --partition, in the same order; each is loaded in its own"
                    + " verified transaction; one that does not verify is rolled back, the others still land, and"
                    + " the call ends with exit 3 naming it. For initial loads of months of daily partitions."})
    java.util.List<String> series;

    @Option(names = "--partition-column", paramLabel = "COLUMN",
            description = "The time column of --from/--to (default: targets.warehouse.tables[].partition_column).")
    String partitionColumn;
}
