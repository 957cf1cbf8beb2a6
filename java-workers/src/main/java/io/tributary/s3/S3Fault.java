package io.tributary.s3;

import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.encryption.s3.S3EncryptionClientException;

/**
 * Maps S3 errors to the worker's exit codes: configuration the operator must fix (wrong keys, missing
 * bucket, no permission, invalid request) is exit 2; throttling, 5xx and network faults are retryable
 * (exit 4); anything else exit 1. Messages name the connection and the object, never credentials.
 */
public final class S3Fault {
    private static final Set<String> CONFIG_CODES = Set.of(
            "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "NoSuchBucket", "InvalidBucketName",
            "AuthorizationHeaderMalformed", "InvalidToken", "ExpiredToken", "KMS.NotFoundException",
            "AllAccessDisabled", "PermanentRedirect", "NotImplemented");
    private static final Set<String> RETRYABLE_CODES = Set.of(
            "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "RequestTimeTooSkewed");

    private S3Fault() {
    }

    public static JobFailure classify(SdkException e, String connectionId, String what) {
        String where = "S3 connection " + connectionId + ": " + what;
        if (e instanceof S3EncryptionClientException) {
            // The S3 Encryption Client wraps S3's and KMS's own errors: those are classified as usual; what is left
            // is the cryptography itself (a wrong key, an object not written with client-side encryption).
            for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
                if (c instanceof S3Exception || c instanceof SdkException && !(c instanceof S3EncryptionClientException)
                        && !(c instanceof AwsServiceException)) {
                    return classify((SdkException) c, connectionId, what);
                }
                if (c instanceof AwsServiceException kms) { // KMS: a missing key or no permission is configuration
                    String detail = kms.awsErrorDetails() == null ? "HTTP " + kms.statusCode()
                            : kms.awsErrorDetails().errorCode() + " (HTTP " + kms.statusCode() + ")";
                    return kms.statusCode() >= 500 || kms.statusCode() == 429
                            ? JobFailure.retryable(where + " failed: KMS " + detail + " (retryable)", e)
                            : JobFailure.badInput(where + " failed: KMS " + detail + ": check the key id and that"
                                    + " these credentials may use it (kms:GenerateDataKey, kms:Decrypt)");
                }
            }
            return JobFailure.badInput(where + " failed: client-side encryption: " + firstLine(e.getMessage())
                    + " (a wrong master key, or an object that was not written with this keyring)");
        }
        if (e instanceof S3Exception s3) {
            String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
            int status = s3.statusCode();
            String detail = (code == null ? "HTTP " + status : code + " (HTTP " + status + ")");
            if (code != null && CONFIG_CODES.contains(code) || status == 403 || status == 400 || status == 301
                    || status == 501) {
                String hint = switch (code == null ? "" : code) {
                    case "InvalidAccessKeyId", "SignatureDoesNotMatch" -> ": check the keys in TRIBUTARY_CONN_"
                            + connectionId.toUpperCase(java.util.Locale.ROOT);
                    case "NoSuchBucket" -> ": the bucket does not exist (create it, or fix the bucket in the config)";
                    case "NotImplemented" -> ": this S3 server does not support the request (e.g. S3Proxy and SSE"
                            + " headers)";
                    case "InvalidObjectState" -> ": the object is in an archive storage class (GLACIER,"
                            + " DEEP_ARCHIVE): S3 must restore it first (tributary restore --thaw-only)";
                    default -> status == 403 ? ": access denied: check the keys in TRIBUTARY_CONN_"
                            + connectionId.toUpperCase(java.util.Locale.ROOT) + " and the bucket's permissions" : "";
                };
                return JobFailure.badInput(where + " failed: " + detail + hint);
            }
            if (code != null && RETRYABLE_CODES.contains(code) || status >= 500 || status == 429) {
                return JobFailure.retryable(where + " failed: " + detail + " (retryable)", e);
            }
            return JobFailure.failed(where + " failed: " + detail, e);
        }
        if (e instanceof SdkClientException && DatabaseFault.tlsRefused(e)) {
            // The server's certificate did not verify against cafile (or the JVM's CAs): a person fixes it, no retry.
            return JobFailure.badInput(where + " failed: TLS refused: " + firstLine(e.getMessage()) + " (check that"
                    + " cafile names the CA that signed the S3 server's certificate and that the host is the one it was"
                    + " issued for)");
        }
        if (e instanceof SdkClientException) {
            // Connection refused, DNS, timeouts: the server is not there right now.
            return JobFailure.retryable(where + " failed: " + firstLine(e.getMessage()) + " (retryable)", e);
        }
        return JobFailure.failed(where + " failed: " + firstLine(e.getMessage()), e);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
