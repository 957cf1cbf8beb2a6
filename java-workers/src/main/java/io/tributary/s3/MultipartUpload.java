package io.tributary.s3;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.SdkPartType;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * An object written as a stream with bounded memory: one part buffer ({@code partSize} bytes). Each full
 * buffer becomes an UploadPart; {@link #close()} completes the upload. An object smaller than one part is
 * sent as a single PutObject (S3 refuses multipart parts under 5 MiB except the last). {@link #abort()}
 * (also on any failure) discards the parts, so a failed upload leaves no object and no billed parts. Through the
 * S3 Encryption Client the parts are one AES-GCM stream: sent in order, the last one flagged so the client
 * finishes the cipher and appends the tag (the part size is a multiple of the 16-byte block).
 */
public final class MultipartUpload extends OutputStream {
    private static final Logger LOG = Logger.getLogger(MultipartUpload.class.getName());
    /** S3's minimum part size, except for the last part. */
    public static final int MIN_PART_BYTES = 5 * 1024 * 1024;

    private final S3Client client;
    private final String connectionId;
    private final S3Location location;
    private final ObjectOptions options;
    private final byte[] buffer;
    private int filled;
    private String uploadId;
    private final List<CompletedPart> parts = new ArrayList<>();
    private long bytes;
    private boolean closed;
    private final boolean encrypted;

    MultipartUpload(S3Client client, String connectionId, S3Location location, ObjectOptions options, int partSize,
            boolean encrypted) {
        if (partSize < MIN_PART_BYTES) {
            throw new IllegalArgumentException("part size " + partSize + " is below S3's minimum " + MIN_PART_BYTES);
        }
        if (encrypted && partSize % 16 != 0) {
            throw new IllegalArgumentException("an encrypted upload's part size must be a multiple of 16, not " + partSize);
        }
        this.encrypted = encrypted;
        this.client = client;
        this.connectionId = connectionId;
        this.location = location;
        this.options = options;
        this.buffer = new byte[partSize];
    }

    @Override
    public void write(int b) throws IOException {
        if (filled == buffer.length) {
            flushPart();
        }
        buffer[filled++] = (byte) b;
        bytes++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        while (len > 0) {
            if (filled == buffer.length) {
                flushPart();
            }
            int n = Math.min(len, buffer.length - filled);
            System.arraycopy(b, off, buffer, filled, n);
            filled += n;
            off += n;
            len -= n;
            bytes += n;
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("upload to " + location + " is already closed");
        }
    }

    private void flushPart() throws IOException {
        flushPart(false);
    }

    private void flushPart(boolean last) throws IOException {
        try {
            if (uploadId == null) {
                uploadId = client.createMultipartUpload(options.apply(CreateMultipartUploadRequest.builder()
                        .bucket(location.bucket()).key(location.key())).build()).uploadId();
            }
            int number = parts.size() + 1;
            UploadPartRequest.Builder part = UploadPartRequest.builder()
                    .bucket(location.bucket()).key(location.key()).uploadId(uploadId).partNumber(number)
                    .contentLength((long) filled);
            if (encrypted && last) {
                part.sdkPartType(SdkPartType.LAST);
            }
            String etag = client.uploadPart(part.build(),
                    RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, filled))).eTag();
            parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            filled = 0;
        } catch (SdkException e) {
            abort();
            throw new S3IOException(S3Fault.classify(e, connectionId, "upload part of " + location));
        }
    }

    /** Completes the object; after this it is visible under its key. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (uploadId == null) {
                client.putObject(options.apply(PutObjectRequest.builder().bucket(location.bucket())
                        .key(location.key()).contentLength((long) filled)).build(),
                        RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, filled)));
            } else {
                // write() flushes a full buffer only when more bytes follow: the last part is always sent here.
                flushPart(true);
                client.completeMultipartUpload(CompleteMultipartUploadRequest.builder()
                        .bucket(location.bucket()).key(location.key()).uploadId(uploadId)
                        .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build());
            }
            closed = true;
        } catch (SdkException e) {
            abort();
            throw new S3IOException(S3Fault.classify(e, connectionId, "complete upload of " + location));
        }
    }

    /** Discards what was uploaded so far; safe to call more than once. */
    public void abort() {
        closed = true;
        if (uploadId == null) {
            return;
        }
        try {
            client.abortMultipartUpload(AbortMultipartUploadRequest.builder()
                    .bucket(location.bucket()).key(location.key()).uploadId(uploadId).build());
        } catch (SdkException e) {
            LOG.warning("could not abort multipart upload of " + location + ": " + e.getMessage());
        }
        uploadId = null;
    }

    public long bytes() {
        return bytes;
    }

    public int partCount() {
        return uploadId == null && parts.isEmpty() ? 1 : parts.size();
    }

    public S3Location location() {
        return location;
    }
}
