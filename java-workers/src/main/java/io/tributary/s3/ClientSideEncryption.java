package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.encryption.s3.materials.AesKeyring;
import software.amazon.encryption.s3.materials.Keyring;
import software.amazon.encryption.s3.materials.KmsKeyring;

/**
 * Client-side envelope encryption of object bodies with the Amazon S3 Encryption Client (v3): every object gets
 * its own AES-256-GCM data key, wrapped by the keyring and stored with the object's metadata. Keyrings: {@code kms}
 * (the data key is generated and wrapped by AWS KMS under {@code kmsKeyId}: production) and {@code raw-aes} (a
 * 256-bit master key read from the environment variable {@code keyEnv}: local stacks and tests). This record names
 * the key, it never holds it: the raw key is read from the environment when a client is built, and only there.
 */
public record ClientSideEncryption(String keyring, String kmsKeyId, String keyEnv) {
    public static final String KMS = "kms";
    public static final String RAW_AES = "raw-aes";
    private static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]*");

    public ClientSideEncryption {
        if (KMS.equals(keyring)) {
            if (kmsKeyId == null || kmsKeyId.isBlank()) {
                throw JobFailure.badInput("client-side encryption with the kms keyring needs kms_key_id");
            }
            keyEnv = null;
        } else if (RAW_AES.equals(keyring)) {
            if (keyEnv == null || !ENV_NAME.matcher(keyEnv).matches()) {
                throw JobFailure.badInput("client-side encryption with the raw-aes keyring needs key_env: the name of"
                        + " the environment variable holding the master key (A-Z, 0-9, _), not '" + keyEnv + "'");
            }
            kmsKeyId = null;
        } else {
            throw JobFailure.badInput("client-side encryption keyring must be kms or raw-aes, not '" + keyring + "'");
        }
    }

    /** The keyring in words, for logs and the catalog: which key to use, never key material. */
    public String describe() {
        return KMS.equals(keyring) ? "kms (" + kmsKeyId + ")" : "raw-aes (master key from $" + keyEnv + ")";
    }

    /** The keyring; a raw key missing from or malformed in the environment is exit 2, naming only the variable. */
    Keyring keyring(Map<String, String> env, KmsClient kms) {
        if (KMS.equals(keyring)) {
            return KmsKeyring.builder().kmsClient(kms).wrappingKeyId(kmsKeyId).build();
        }
        return AesKeyring.builder().wrappingKey(rawKey(env)).build();
    }

    private SecretKey rawKey(Map<String, String> env) {
        String value = env.get(keyEnv);
        if (value == null || value.isBlank()) {
            throw JobFailure.badInput(keyEnv + " is not set: the objects are client-side encrypted (raw-aes keyring)"
                    + " and the master key comes only from that environment variable (base64 of 32 bytes)");
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(value.strip());
        } catch (IllegalArgumentException e) {
            throw JobFailure.badInput(keyEnv + " is not base64 (the raw-aes master key: base64 of 32 bytes)");
        }
        if (key.length != 32) {
            throw JobFailure.badInput(keyEnv + " decodes to " + key.length + " bytes; the raw-aes master key is"
                    + " AES-256: 32 bytes, base64-encoded");
        }
        return new SecretKeySpec(key, "AES");
    }
}
