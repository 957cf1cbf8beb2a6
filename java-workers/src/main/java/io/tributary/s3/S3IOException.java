package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.io.IOException;

/** An S3 failure crossing an {@link java.io.OutputStream}/{@link java.io.InputStream} boundary, classified. */
public final class S3IOException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient JobFailure failure;

    public S3IOException(JobFailure failure) {
        super(failure.getMessage(), failure);
        this.failure = failure;
    }

    public JobFailure failure() {
        return failure;
    }
}
