package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tributary.connect.ConnectionUri;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The warehouse URI's TLS settings reach redshift-jdbc42 (they used to be dropped: only user and password were
 * passed), never weaker than the driver's own default of verifying the certificate (Redshift Management Guide,
 * "Configure authentication and SSL" for JDBC driver 2.1: SSL, SSLRootCert, SSLMode verify-ca | verify-full).
 */
class RedshiftConnectionKeepsTlsSettingsTest {
    private static Properties tls(String query) {
        return RedshiftDialect.tls(ConnectionUri.parse("postgresql://u:p@cluster.example:5439/dev" + query, "test")
                .properties("test"));
    }

    @Test
    void verifyFullAndTheCaFileArePassedOn() {
        Properties p = tls("?sslmode=verify-full&sslrootcert=/etc/ssl/amazon-trust-ca-bundle.crt");
        assertEquals("true", p.getProperty("ssl"));
        assertEquals("verify-full", p.getProperty("sslmode"));
        assertEquals("/etc/ssl/amazon-trust-ca-bundle.crt", p.getProperty("sslrootcert"));
    }

    @Test
    void libpqsNonVerifyingModesStillVerifyTheCertificate() {
        for (String mode : new String[] {"allow", "prefer", "require", "verify-ca"}) {
            Properties p = tls("?sslmode=" + mode);
            assertEquals("true", p.getProperty("ssl"), mode);
            assertEquals("verify-ca", p.getProperty("sslmode"), mode);
        }
    }

    @Test
    void disableIsHonouredAndNothingSetLeavesTheDriversDefault() {
        assertEquals("false", tls("?sslmode=disable").getProperty("ssl"));
        Properties none = tls("");
        assertNull(none.getProperty("ssl"));
        assertNull(none.getProperty("sslmode"));
    }
}
