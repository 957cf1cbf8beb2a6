package io.tributary.s3;

import io.tributary.connect.ConnectionFactory;
import io.tributary.result.JobFailure;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.TlsTrustManagersProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.BucketLifecycleConfiguration;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.GetBucketLifecycleConfigurationRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectTaggingRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.LifecycleExpiration;
import software.amazon.awssdk.services.s3.model.LifecycleRuleAndOperator;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutBucketLifecycleConfigurationRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.RestoreObjectRequest;
import software.amazon.awssdk.services.s3.model.RestoreRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.TaggingDirective;
import software.amazon.awssdk.services.s3.model.Tier;
import software.amazon.awssdk.services.s3.model.Transition;
import software.amazon.awssdk.services.s3.model.TransitionStorageClass;
import software.amazon.encryption.s3.S3EncryptionClient;

/**
 * The one S3 client factory and what the worker does with objects. A connection id ({@code s3}) names
 * {@code TRIBUTARY_CONN_S3}, an {@link S3ConnectionUri}; credentials never leave this class. Opened with
 * {@link ClientSideEncryption}, the data objects it uploads ({@link #upload}) and reads ({@link #get}) go through
 * the Amazon S3 Encryption Client (encrypted before they leave the worker, decrypted after they arrive); small
 * documents ({@link #put}, {@link #getBytes}: manifests, catalog entries) stay plain so an archive can be found
 * and understood without its key.
 */
public final class ObjectStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ObjectStore.class.getName());
    private static final Pattern RESTORE_ONGOING = Pattern.compile("ongoing-request=\"(true|false)\"");

    private final S3Client client;
    private final String connectionId;
    private final S3ConnectionUri uri;
    /** Object bodies through the S3 Encryption Client; null without client-side encryption. */
    private final S3EncryptionClient sealed;
    private final KmsClient kms;
    private final ClientSideEncryption encryption;

    private ObjectStore(S3Client client, String connectionId, S3ConnectionUri uri, S3EncryptionClient sealed,
            KmsClient kms, ClientSideEncryption encryption) {
        this.client = client;
        this.connectionId = connectionId;
        this.uri = uri;
        this.sealed = sealed;
        this.kms = kms;
        this.encryption = encryption;
    }

    /** Opens the store named by {@code connectionId}; a missing or malformed variable is exit 2. */
    public static ObjectStore open(Map<String, String> env, String connectionId) {
        return open(env, connectionId, null);
    }

    /**
     * Opens the store with client-side encryption of data objects ({@code encryption} null: none). The KMS keyring
     * calls KMS with this connection's credentials and region (and its endpoint override, where the local tests'
     * moto serves KMS next to S3); a raw-aes key comes from the environment variable the encryption names.
     */
    public static ObjectStore open(Map<String, String> env, String connectionId, ClientSideEncryption encryption) {
        String variable = ConnectionFactory.envVarFor(connectionId);
        String value = env.get(variable);
        if (value == null || value.isBlank()) {
            throw JobFailure.badInput(variable + " is not set (the s3:// URI for connection " + connectionId + ")");
        }
        S3ConnectionUri uri = S3ConnectionUri.parse(value.strip(), variable);
        AwsCredentialsProvider credentials;
        if (uri.hasStaticCredentials()) {
            credentials = StaticCredentialsProvider.create(uri.sessionToken() == null
                    ? AwsBasicCredentials.create(uri.accessKey(), uri.secretKey())
                    : AwsSessionCredentials.create(uri.accessKey(), uri.secretKey(), uri.sessionToken()));
        } else {
            credentials = DefaultCredentialsProvider.builder().build();
        }
        // cafile=: only that CA is trusted (every client below); otherwise the JVM's default CAs.
        TlsTrustManagersProvider trust = uri.caFile().map(ca -> S3Tls.trustOnly(ca, variable)).orElse(null);
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMinutes(2))
                        .tlsTrustManagersProvider(trust)
                        .build())
                .region(Region.of(uri.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(uri.pathStyle())
                // SDK >= 2.30 adds CRC32 headers to every upload; S3-compatible servers (S3Proxy) refuse
                // them, and AWS accepts requests without them.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        uri.endpoint().ifPresent(builder::endpointOverride);
        LOG.fine(() -> "S3 connection " + connectionId + ": " + uri);
        S3Client client = builder.build();
        if (encryption == null) {
            return new ObjectStore(client, connectionId, uri, null, null, null);
        }
        KmsClient kms = null;
        S3AsyncClient async = null;
        try {
            if (ClientSideEncryption.KMS.equals(encryption.keyring())) {
                KmsClientBuilder kb = KmsClient.builder()
                        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                                .tlsTrustManagersProvider(trust).build())
                        .region(Region.of(uri.region()))
                        .credentialsProvider(credentials);
                uri.endpoint().ifPresent(kb::endpointOverride);
                kms = kb.build();
            }
            var keyring = encryption.keyring(env, kms);
            S3AsyncClientBuilder ab = S3AsyncClient.builder()
                    .httpClient(NettyNioAsyncHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                            .tlsTrustManagersProvider(trust).build())
                    .region(Region.of(uri.region()))
                    .credentialsProvider(credentials)
                    .forcePathStyle(uri.pathStyle())
                    // No "Expect: 100-continue": moto's server answers it with an interim 100 that the netty client
                    // takes for the final status (the upload fails with "HTTP 100"); it saves little on 8 MiB parts.
                    .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(false).build())
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            uri.endpoint().ifPresent(ab::endpointOverride);
            async = ab.build();
            S3EncryptionClient sealed = S3EncryptionClient.builder()
                    .wrappedClient(client)
                    .wrappedAsyncClient(async)
                    .keyring(keyring)
                    // Without it a GET buffers the whole object to check the GCM tag before returning any byte
                    // (64 MiB at most). Readers here download to a file and fail on a bad tag at the end of the
                    // stream before that file is used, so memory stays bounded without trusting unchecked bytes.
                    .enableDelayedAuthenticationMode(true)
                    .build();
            LOG.info("S3 connection " + connectionId + ": client-side encryption, keyring " + encryption.describe());
            return new ObjectStore(client, connectionId, uri, sealed, kms, encryption);
        } catch (RuntimeException e) {
            client.close();
            if (async != null) {
                async.close();
            }
            if (kms != null) {
                kms.close();
            }
            throw e;
        }
    }

    /** The client-side encryption of data objects, or null. */
    public ClientSideEncryption clientSideEncryption() {
        return encryption;
    }

    private S3Client dataClient() {
        return sealed != null ? sealed : client;
    }

    /** True for an S3-compatible server reached by endpoint override (the local stack), false for AWS. */
    public boolean isS3Compatible() {
        return uri.endpoint().isPresent();
    }

    public String connectionId() {
        return connectionId;
    }

    /** Fails with exit 2 when the bucket is missing or the credentials cannot reach it. */
    public void requireBucket(String bucket) {
        S3Location.requireBucket(bucket, "bucket");
        try {
            client.headBucket(HeadBucketRequest.builder().bucket(bucket).build());
        } catch (NoSuchBucketException e) {
            throw JobFailure.badInput("S3 connection " + connectionId + ": bucket " + bucket + " does not exist");
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw JobFailure.badInput("S3 connection " + connectionId + ": bucket " + bucket + " does not exist");
            }
            throw S3Fault.classify(e, connectionId, "check bucket " + bucket);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "check bucket " + bucket);
        }
    }

    /** Creates the bucket unless it exists (the local stack's buckets are created on first use). */
    public void ensureBucket(String bucket) {
        S3Location.requireBucket(bucket, "bucket");
        try {
            client.headBucket(HeadBucketRequest.builder().bucket(bucket).build());
            return;
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw S3Fault.classify(e, connectionId, "check bucket " + bucket);
            }
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "check bucket " + bucket);
        }
        try {
            client.createBucket(CreateBucketRequest.builder().bucket(bucket).build());
            LOG.info("created bucket " + bucket + " on S3 connection " + connectionId);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "create bucket " + bucket);
        }
    }

    /**
     * A streaming upload with one {@code partBytes} buffer; close it to complete, abort it on failure. Client-side
     * encrypted when the store was opened so.
     */
    public MultipartUpload upload(S3Location location, ObjectOptions options, int partBytes) {
        return new MultipartUpload(dataClient(), connectionId, location, options, partBytes, sealed != null);
    }

    /** A small object in one request (manifests, catalog entries). */
    public void put(S3Location location, byte[] content, String contentType, ObjectOptions options) {
        try {
            client.putObject(options.apply(PutObjectRequest.builder().bucket(location.bucket()).key(location.key())
                    .contentType(contentType).contentLength((long) content.length)).build(),
                    RequestBody.fromBytes(content));
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "put " + location);
        }
    }

    /**
     * Streams a data object, decrypted when the store was opened with client-side encryption (a wrong or missing key
     * is exit 2); close the stream. A missing key is exit 2.
     */
    public ResponseInputStream<GetObjectResponse> get(S3Location location) {
        return get(dataClient(), location);
    }

    private ResponseInputStream<GetObjectResponse> get(S3Client via, S3Location location) {
        try {
            return via.getObject(GetObjectRequest.builder().bucket(location.bucket()).key(location.key()).build());
        } catch (NoSuchKeyException e) {
            throw JobFailure.badInput("S3 connection " + connectionId + ": no object " + location);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "get " + location);
        }
    }

    /** A small document as stored (never client-side decrypted: manifests and catalog entries are plain). */
    public byte[] getBytes(S3Location location) {
        try (InputStream in = get(client, location)) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw JobFailure.retryable("S3 connection " + connectionId + ": reading " + location + " failed: "
                    + e.getMessage(), e);
        }
    }

    /** The object's metadata, or empty when there is no such key. */
    public Optional<HeadObjectResponse> head(S3Location location) {
        try {
            return Optional.of(client.headObject(HeadObjectRequest.builder().bucket(location.bucket())
                    .key(location.key()).build()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw S3Fault.classify(e, connectionId, "head " + location);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "head " + location);
        }
    }

    public Map<String, String> tags(S3Location location) {
        try {
            Map<String, String> tags = new java.util.TreeMap<>();
            client.getObjectTagging(GetObjectTaggingRequest.builder().bucket(location.bucket()).key(location.key())
                    .build()).tagSet().forEach(t -> tags.put(t.key(), t.value()));
            return tags;
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "get tags of " + location);
        }
    }

    /** Every object under a prefix, in key order. */
    public List<S3Object> list(S3Location prefix) {
        List<S3Object> objects = new ArrayList<>();
        try {
            client.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(prefix.bucket())
                    .prefix(prefix.key()).build()).contents().forEach(objects::add);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "list " + prefix);
        }
        return objects;
    }

    /** Keys of the multipart uploads begun under a prefix and neither completed nor aborted (a killed worker's). */
    public List<String> incompleteUploads(S3Location prefix) {
        List<String> keys = new ArrayList<>();
        try {
            client.listMultipartUploadsPaginator(ListMultipartUploadsRequest.builder().bucket(prefix.bucket())
                    .prefix(prefix.key()).build()).uploads().forEach(u -> keys.add(u.key()));
        } catch (S3Exception e) {
            if (e.statusCode() == 501) {
                return keys; // a server without the listing (S3Proxy's filesystem store) keeps no parts to bill
            }
            throw S3Fault.classify(e, connectionId, "list multipart uploads under " + prefix);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "list multipart uploads under " + prefix);
        }
        return keys;
    }

    /**
     * Aborts the multipart uploads a killed worker left under a prefix (never visible as objects, but their parts
     * are stored and billed); returns how many.
     */
    public int abortIncompleteUploads(S3Location prefix) {
        int aborted = 0;
        try {
            for (var page : client.listMultipartUploadsPaginator(ListMultipartUploadsRequest.builder()
                    .bucket(prefix.bucket()).prefix(prefix.key()).build())) {
                for (var u : page.uploads()) {
                    client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(prefix.bucket())
                            .key(u.key()).uploadId(u.uploadId()).build());
                    LOG.info("aborted an upload of " + u.key() + " left by an earlier, interrupted run");
                    aborted++;
                }
            }
        } catch (S3Exception e) {
            if (e.statusCode() != 501) {
                throw S3Fault.classify(e, connectionId, "abort multipart uploads under " + prefix);
            }
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "abort multipart uploads under " + prefix);
        }
        return aborted;
    }

    public void delete(S3Location location) {
        try {
            client.deleteObject(DeleteObjectRequest.builder().bucket(location.bucket()).key(location.key()).build());
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "delete " + location);
        }
    }

    /**
     * Moves an object to {@code options}' storage class by copying it onto itself (a server-side copy: no bytes
     * through the worker), keeping its tags and metadata and re-applying the encryption. Objects up to 5 GiB
     * (S3's CopyObject limit).
     */
    public void changeStorageClass(S3Location location, ObjectOptions options) {
        try {
            client.copyObject(options.apply(CopyObjectRequest.builder()
                    .sourceBucket(location.bucket()).sourceKey(location.key())
                    .destinationBucket(location.bucket()).destinationKey(location.key())
                    .metadataDirective(MetadataDirective.COPY)
                    .taggingDirective(TaggingDirective.COPY)).build());
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "change the storage class of " + location);
        }
    }

    /** Replaces the bucket's lifecycle configuration with these rules. */
    public void putLifecycle(String bucket, List<LifecycleRule> rules) {
        List<software.amazon.awssdk.services.s3.model.LifecycleRule> sdkRules = new ArrayList<>();
        for (LifecycleRule r : rules) {
            sdkRules.add(sdkRule(r));
        }
        try {
            client.putBucketLifecycleConfiguration(PutBucketLifecycleConfigurationRequest.builder().bucket(bucket)
                    .lifecycleConfiguration(BucketLifecycleConfiguration.builder().rules(sdkRules).build()).build());
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "put lifecycle of bucket " + bucket);
        }
    }

    /**
     * Adds or replaces one rule (by id) and keeps every other rule the bucket has: S3 only knows "replace the
     * whole configuration", and an archive must not wipe out rules someone else put on the bucket.
     */
    public void putLifecycleRule(String bucket, LifecycleRule rule) {
        List<software.amazon.awssdk.services.s3.model.LifecycleRule> kept = new ArrayList<>();
        for (var existing : lifecycle(bucket)) {
            if (!rule.id().equals(existing.id())) {
                kept.add(existing);
            }
        }
        kept.add(sdkRule(rule));
        try {
            client.putBucketLifecycleConfiguration(PutBucketLifecycleConfigurationRequest.builder().bucket(bucket)
                    .lifecycleConfiguration(BucketLifecycleConfiguration.builder().rules(kept).build()).build());
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "put lifecycle rule " + rule.id() + " on bucket " + bucket);
        }
    }

    private static software.amazon.awssdk.services.s3.model.LifecycleRule sdkRule(LifecycleRule r) {
        var b = software.amazon.awssdk.services.s3.model.LifecycleRule.builder()
                .id(r.id())
                .filter(filter(r))
                .status(ExpirationStatus.ENABLED);
        if (r.transitionStorageClass() != null) {
            b.transitions(Transition.builder().days(r.transitionDays())
                    .storageClass(TransitionStorageClass.fromValue(r.transitionStorageClass())).build());
        }
        if (r.expirationDays() > 0) {
            b.expiration(LifecycleExpiration.builder().days(r.expirationDays()).build());
        }
        if (r.abortIncompleteUploadsDays() > 0) {
            b.abortIncompleteMultipartUpload(software.amazon.awssdk.services.s3.model.AbortIncompleteMultipartUpload
                    .builder().daysAfterInitiation(r.abortIncompleteUploadsDays()).build());
        }
        return b.build();
    }

    private static LifecycleRuleFilter filter(LifecycleRule r) {
        String prefix = r.prefix() == null ? "" : r.prefix();
        if (r.tags().isEmpty()) {
            return LifecycleRuleFilter.builder().prefix(prefix).build();
        }
        List<Tag> tags = r.tags().entrySet().stream()
                .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
        return LifecycleRuleFilter.builder()
                .and(LifecycleRuleAndOperator.builder().prefix(prefix).tags(tags).build()).build();
    }

    /** The bucket's lifecycle rules as the server stores them (empty when none). */
    public List<software.amazon.awssdk.services.s3.model.LifecycleRule> lifecycle(String bucket) {
        try {
            return client.getBucketLifecycleConfiguration(GetBucketLifecycleConfigurationRequest.builder()
                    .bucket(bucket).build()).rules();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return List.of();
            }
            throw S3Fault.classify(e, connectionId, "get lifecycle of bucket " + bucket);
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "get lifecycle of bucket " + bucket);
        }
    }

    /** Asks for a temporary readable copy of an archived (GLACIER / DEEP_ARCHIVE) object. */
    public void restore(S3Location location, int days, String tier) {
        try {
            client.restoreObject(RestoreObjectRequest.builder().bucket(location.bucket()).key(location.key())
                    .restoreRequest(RestoreRequest.builder().days(days)
                            .glacierJobParameters(g -> g.tier(Tier.fromValue(tier))).build())
                    .build());
        } catch (S3Exception e) {
            // 409 RestoreAlreadyInProgress: someone asked already; polling is what is left to do.
            if (e.statusCode() != 409) {
                throw S3Fault.classify(e, connectionId, "restore " + location);
            }
        } catch (SdkException e) {
            throw S3Fault.classify(e, connectionId, "restore " + location);
        }
    }

    /** True when the object is readable: not archived, or its restore has completed. */
    public boolean readable(S3Location location) {
        HeadObjectResponse head = head(location).orElseThrow(() -> JobFailure.badInput(
                "S3 connection " + connectionId + ": no object " + location));
        String storageClass = head.storageClassAsString();
        boolean archived = "GLACIER".equals(storageClass) || "DEEP_ARCHIVE".equals(storageClass);
        if (!archived) {
            return true;
        }
        String restore = head.restore();
        if (restore == null) {
            return false;
        }
        Matcher m = RESTORE_ONGOING.matcher(restore);
        return m.find() && "false".equals(m.group(1));
    }

    /** Polls HEAD until the restore has completed; exit 4 (retry later) when it has not within {@code timeout}. */
    public void awaitReadable(S3Location location, Duration timeout, Duration poll) {
        Instant deadline = Instant.now().plus(timeout);
        while (!readable(location)) {
            if (Instant.now().isAfter(deadline)) {
                throw JobFailure.retryable("S3 connection " + connectionId + ": restore of " + location
                        + " not complete after " + timeout.toSeconds() + " s (retry later)", null);
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.retryable("interrupted while waiting for the restore of " + location, e);
            }
        }
    }

    @Override
    public void close() {
        if (sealed != null) {
            sealed.close(); // and the clients it wraps
        }
        client.close();
        if (kms != null) {
            kms.close();
        }
    }

    @Override
    public String toString() {
        return connectionId + " " + uri;
    }
}
