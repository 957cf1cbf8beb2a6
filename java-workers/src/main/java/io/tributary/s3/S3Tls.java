package io.tributary.s3;

import io.tributary.result.JobFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.http.TlsTrustManagersProvider;

/**
 * The trust an S3 connection's {@code cafile} asks for: only the CA certificate(s) in that PEM file, checked by the
 * JVM's own PKIX validation (the host name is checked by the HTTP client). An unreadable file, or one without a
 * certificate, is bad input (exit 2) naming the file.
 */
final class S3Tls {
    private S3Tls() {
    }

    static TlsTrustManagersProvider trustOnly(Path caFile, String variable) {
        TrustManager[] managers = trustManagers(caFile, variable);
        return () -> managers;
    }

    private static TrustManager[] trustManagers(Path caFile, String variable) {
        Collection<? extends Certificate> cas;
        try (InputStream in = Files.newInputStream(caFile)) {
            cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw JobFailure.badInput(variable + ": cannot read the CA file " + caFile + " (cafile=): " + e.getMessage());
        }
        if (cas.isEmpty()) {
            throw JobFailure.badInput(variable + ": the CA file " + caFile + " (cafile=) holds no certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate ca : cas) {
                store.setCertificateEntry("ca-" + i++, ca);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory.getTrustManagers();
        } catch (IOException | GeneralSecurityException e) {
            throw JobFailure.badInput(variable + ": the CA file " + caFile + " (cafile=) cannot be used: " + e.getMessage());
        }
    }
}
