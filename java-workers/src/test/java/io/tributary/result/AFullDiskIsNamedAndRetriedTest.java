package io.tributary.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import org.junit.jupiter.api.Test;

/**
 * ENOSPC, however a step wrapped it (an IOException in an UncheckedIOException, a JobFailure quoting pg_dump's
 * stderr, a codec's ExceptionInInitializerError), is exit 4 naming the temp folder; a full disk elsewhere names the
 * file's disk instead; anything else is not taken for a full disk.
 */
class AFullDiskIsNamedAndRetriedTest {
    @Test
    void aFullTempFolderIsExitFourNamingTheFolderAndHowToMoveIt() {
        for (Throwable full : new Throwable[] {
            new UncheckedIOException(new IOException("No space left on device")),
            JobFailure.failed("pg_dump failed (exit 1): pg_dump: error: could not write to output file: No space left"
                    + " on device", null),
            new ExceptionInInitializerError("Cannot unpack libzstd-jni-1.5.7-3: No space left on device")}) {
            assertTrue(TempFolder.isFull(full), full.toString());
            JobFailure failure = TempFolder.full(full);
            assertEquals(ExitCode.RETRYABLE, failure.exitCode());
            assertTrue(failure.getMessage().startsWith("the worker's temp folder " + TempFolder.path()
                    + " is full (No space left on device)"), failure.getMessage());
            assertTrue(failure.getMessage().contains("TRIBUTARY_JAVA_OPTS=-Djava.io.tmpdir="), failure.getMessage());
        }
    }

    @Test
    void aFullDiskElsewhereNamesThatFile() {
        FileSystemException elsewhere = new FileSystemException("/var/lib/inventory/x.json", null,
                "No space left on device");
        JobFailure failure = TempFolder.full(elsewhere);
        assertEquals(ExitCode.RETRYABLE, failure.exitCode());
        assertTrue(failure.getMessage().startsWith("the disk holding /var/lib/inventory/x.json is full"),
                failure.getMessage());
    }

    @Test
    void otherFailuresAreNotAFullDisk() {
        assertFalse(TempFolder.isFull(new IOException("Connection reset")));
        assertFalse(TempFolder.isFull(JobFailure.failed("pg_dump failed (exit 1): permission denied", null)));
    }
}
