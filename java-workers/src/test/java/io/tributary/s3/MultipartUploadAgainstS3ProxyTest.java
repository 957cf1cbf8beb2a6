package io.tributary.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.testing.TestS3;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Against the local stack's real S3Proxy (TRIBUTARY_CONN_S3). */
class MultipartUploadAgainstS3ProxyTest {
    static ObjectStore store;
    static String bucket;

    @BeforeAll
    static void openStore() {
        store = TestS3.open();
        bucket = TestS3.bucket("multipart");
        store.ensureBucket(bucket);
        store.ensureBucket(bucket); // idempotent
    }

    @AfterAll
    static void close() {
        if (store != null) {
            TestS3.empty(store, bucket);
            store.close();
        }
    }

    @Test
    void aLargeObjectStreamsInPartsAndReadsBackIdentical() throws Exception {
        S3Location loc = new S3Location(bucket, "big/object.bin");
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        Random random = new Random(42);
        byte[] chunk = new byte[64 * 1024 + 7]; // odd size: parts never line up with writes
        long total = 0;
        MultipartUpload upload = store.upload(loc, ObjectOptions.NONE, MultipartUpload.MIN_PART_BYTES);
        try (OutputStream out = upload) {
            while (total < 12L * 1024 * 1024) {
                random.nextBytes(chunk);
                out.write(chunk);
                written.update(chunk);
                total += chunk.length;
            }
        }
        assertEquals(3, upload.partCount(), "12 MiB in 5 MiB parts");
        assertEquals(total, upload.bytes());
        assertEquals(total, store.head(loc).orElseThrow().contentLength());
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        try (InputStream in = store.get(loc)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                read.update(buf, 0, n);
            }
        }
        assertArrayEquals(written.digest(), read.digest());
    }

    @Test
    void aSmallObjectIsOnePutAndListsUnderItsPrefix() throws IOException {
        S3Location loc = new S3Location(bucket, "small/a.txt");
        MultipartUpload upload = store.upload(loc, ObjectOptions.NONE, MultipartUpload.MIN_PART_BYTES);
        try (OutputStream out = upload) {
            out.write("hello".getBytes(StandardCharsets.UTF_8));
        }
        store.put(new S3Location(bucket, "small/b.json"), "{}".getBytes(StandardCharsets.UTF_8), "application/json",
                ObjectOptions.NONE);
        List<S3Object> listed = store.list(new S3Location(bucket, "small/"));
        assertEquals(List.of("small/a.txt", "small/b.json"), listed.stream().map(S3Object::key).toList());
        assertEquals("hello", new String(store.getBytes(loc), StandardCharsets.UTF_8));
        assertTrue(store.readable(loc), "a STANDARD object needs no restore");
    }

    @Test
    void anAbortedUploadLeavesNoObject() throws IOException {
        S3Location loc = new S3Location(bucket, "aborted/object.bin");
        MultipartUpload upload = store.upload(loc, ObjectOptions.NONE, MultipartUpload.MIN_PART_BYTES);
        upload.write(new byte[MultipartUpload.MIN_PART_BYTES + 10]); // one part already uploaded
        upload.abort();
        upload.close(); // closing after abort completes nothing
        assertFalse(store.head(loc).isPresent());
    }

    @Test
    void wrongKeysAndMissingBucketsAreExitTwoAndNameNoSecret() {
        String uri = TestS3.uri();
        int start = uri.indexOf("://") + 3;
        int colon = uri.indexOf(':', start);
        int at = uri.lastIndexOf('@');
        String wrongSecret = "not-the-secret-" + System.nanoTime();
        Map<String, String> env = new HashMap<>();
        env.put("TRIBUTARY_CONN_S3", uri.substring(0, colon + 1) + wrongSecret + uri.substring(at));
        try (ObjectStore wrong = ObjectStore.open(env, "s3")) {
            JobFailure f = assertThrows(JobFailure.class, () -> wrong.requireBucket(bucket));
            assertEquals(ExitCode.BAD_INPUT, f.exitCode(), f.getMessage());
            assertFalse(f.getMessage().contains(wrongSecret), f.getMessage());
            assertTrue(f.getMessage().contains("TRIBUTARY_CONN_S3"), f.getMessage());
        }
        JobFailure missing = assertThrows(JobFailure.class, () -> store.requireBucket("no-such-bucket-tributary"));
        assertEquals(ExitCode.BAD_INPUT, missing.exitCode());
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        JobFailure noKey = assertThrows(JobFailure.class, () -> store.get(new S3Location(bucket, "nope")));
        assertEquals(ExitCode.BAD_INPUT, noKey.exitCode());
    }

    @Test
    void anUnreachableServerIsRetryable() {
        Map<String, String> env = Map.of("TRIBUTARY_CONN_S3", "s3://k:s@127.0.0.1:1?scheme=http");
        try (ObjectStore down = ObjectStore.open(env, "s3")) {
            JobFailure f = assertThrows(JobFailure.class, () -> down.requireBucket(bucket));
            assertEquals(ExitCode.RETRYABLE, f.exitCode(), f.getMessage());
        }
    }

    @Test
    void aMissingVariableIsExitTwoNamingIt() {
        JobFailure f = assertThrows(JobFailure.class, () -> ObjectStore.open(Map.of(), "archive_s3"));
        assertEquals(ExitCode.BAD_INPUT, f.exitCode());
        assertTrue(f.getMessage().startsWith("TRIBUTARY_CONN_ARCHIVE_S3 is not set"), f.getMessage());
    }
}
