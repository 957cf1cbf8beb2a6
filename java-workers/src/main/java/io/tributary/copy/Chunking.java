package io.tributary.copy;

import io.tributary.result.JobFailure;

/**
 * How a table is cut into chunks and how many are copied at once.
 *
 * @param parallelism workers (connections per side) copying chunks concurrently
 * @param chunkRows   target rows per chunk; a table at most this big is one chunk
 * @param keyColumn   the column to range over (default: the primary key's single column, else CTID pages)
 */
public record Chunking(int parallelism, long chunkRows, String keyColumn) {
    public static final long DEFAULT_CHUNK_ROWS = 250_000;
    public static final Chunking DEFAULT = new Chunking(1, DEFAULT_CHUNK_ROWS, null);

    public Chunking {
        if (parallelism < 1 || parallelism > 64) {
            throw JobFailure.badInput("--parallelism must be between 1 and 64 (got " + parallelism + ")");
        }
        if (chunkRows < 1) {
            throw JobFailure.badInput("--chunk-rows must be positive (got " + chunkRows + ")");
        }
    }
}
