package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.copy.Chunking;
import picocli.CommandLine.Option;

/** How a table is cut into chunks: shared by the commands that move or compare a table in parallel. */
final class ChunkOptions {
    @Option(names = "--parallelism", paramLabel = "N",
            description = "Chunks copied at once, each with its own source and target connection"
                    + " (default: the table's tables[].parallelism, else defaults.parallelism in the config,"
                    + " else 1).")
    Integer parallelism;

    @Option(names = "--chunk-rows", paramLabel = "ROWS",
            description = "Rows per chunk; a smaller table is one chunk (default: the table's"
                    + " tables[].chunk_rows, else defaults.chunk_rows in the config, else "
                    + Chunking.DEFAULT_CHUNK_ROWS + ").")
    Long chunkRows;

    @Option(names = "--key", paramLabel = "COLUMN",
            description = "NOT NULL column to cut key ranges on, or ctid for page ranges (default: the primary"
                    + " key's first column, else ctid).")
    String key;

    /** The option if given, else the table's tables[] rule, else the config's defaults. */
    Chunking chunking(MigrationConfig config, String source, TableRef table) {
        var defaults = config.raw().path("defaults");
        int n = parallelism != null ? parallelism : config.tableRule(source, table, "parallelism")
                .map(v -> v.asInt()).orElse(defaults.path("parallelism").asInt(1));
        long rows = chunkRows != null ? chunkRows : config.tableRule(source, table, "chunk_rows")
                .map(v -> v.asLong()).orElse(defaults.path("chunk_rows").asLong(Chunking.DEFAULT_CHUNK_ROWS));
        return new Chunking(n, rows, key);
    }
}
