package io.tributary.result;

import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The folder the worker writes its local temporary files to ({@code java.io.tmpdir}: Parquet files downloaded by
 * load, restore and archive's read-back, schema's pg_dump files), and what a full one means: an environment fault
 * worth retrying once space is freed (exit 4), named with the folder and how to point the worker elsewhere, never
 * an unexpected error with a stack trace.
 */
public final class TempFolder {
    static final String NO_SPACE = "No space left on device";

    private TempFolder() {
    }

    /** The folder, as {@code Files.createTempFile} resolves it. */
    public static Path path() {
        return Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    }

    /** True when {@code failure} (or anything it was caused by) is a write to a full disk (ENOSPC). */
    public static boolean isFull(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(NO_SPACE)) {
                return true;
            }
        }
        return false;
    }

    /** The failure a full disk is reported as: exit 4, naming the folder that is full and how to choose another. */
    public static JobFailure full(Throwable failure) {
        Path folder = path();
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof FileSystemException fs && fs.getFile() != null
                    && !Path.of(fs.getFile()).toAbsolutePath().startsWith(folder)) {
                return JobFailure.retryable("the disk holding " + fs.getFile() + " is full (" + NO_SPACE
                        + "): free space there, then run again", failure);
            }
        }
        return JobFailure.retryable("the worker's temp folder " + folder + " is full (" + NO_SPACE + "): free space"
                + " there, or point the worker at a larger folder with TRIBUTARY_JAVA_OPTS=-Djava.io.tmpdir=<folder>"
                + " (in the cluster, a bigger /tmp volume); nothing of this run was kept, so the re-run starts it over",
                failure);
    }
}
