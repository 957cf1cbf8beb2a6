package io.tributary.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/** S3Proxy refuses SSE headers (501), so the archive's moto tests exercise them on the wire; this pins the mapping. */
class ObjectOptionsBecomeRequestHeadersTest {

    @Test
    void kmsTagsAndStorageClassReachBothKindsOfUpload() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("table", "public.fills");
        tags.put("class", "broker data");
        ObjectOptions options = new ObjectOptions("aws:kms", "alias/tributary", tags, "GLACIER");
        PutObjectRequest put = options.apply(PutObjectRequest.builder().bucket("b").key("k")).build();
        assertEquals(ServerSideEncryption.AWS_KMS, put.serverSideEncryption());
        assertEquals("alias/tributary", put.ssekmsKeyId());
        assertEquals("class=broker%20data&table=public.fills", put.tagging());
        assertEquals(StorageClass.GLACIER, put.storageClass());
        CreateMultipartUploadRequest mpu = options.apply(CreateMultipartUploadRequest.builder().bucket("b").key("k"))
                .build();
        assertEquals(ServerSideEncryption.AWS_KMS, mpu.serverSideEncryption());
        assertEquals("alias/tributary", mpu.ssekmsKeyId());
        assertEquals(put.tagging(), mpu.tagging());
        assertEquals(StorageClass.GLACIER, mpu.storageClass());
    }

    @Test
    void noneSendsNothing() {
        PutObjectRequest put = ObjectOptions.NONE.apply(PutObjectRequest.builder().bucket("b").key("k")).build();
        assertNull(put.serverSideEncryption());
        assertNull(put.tagging());
        assertNull(put.storageClass());
    }

    @Test
    void invalidOptionsAreExitTwo() {
        assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                () -> new ObjectOptions("rot13", null, Map.of(), null)).exitCode());
        assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                () -> new ObjectOptions("AES256", "key", Map.of(), null)).exitCode());
        assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                () -> new ObjectOptions(null, null, Map.of(), "COLD_CELLAR")).exitCode());
    }
}
