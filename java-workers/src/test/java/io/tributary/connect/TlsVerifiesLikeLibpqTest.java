package io.tributary.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker verifies a server's certificate the way libpq does, against the local stack's own CA (made at its
 * first start-up; scripts/stack.sh): verify-full with the right CA copies; a CA that did not sign the certificate is
 * refused under verify-full, verify-ca and also require (libpq's rule when a root CA file is given, which pgjdbc
 * alone does not apply) — exit 2, never retried, nothing changed; an unreadable CA file is exit 2 naming it.
 */
@RequiresPostgres
class TlsVerifiesLikeLibpqTest {
    @TempDir
    static Path dir;
    static CopyFixture db;
    static String ca = System.getenv("TRIBUTARY_TEST_TLS_CA");
    static String otherCa = System.getenv("TRIBUTARY_TEST_TLS_OTHER_CA");

    @BeforeAll
    static void createSource() {
        assumeTrue(ca != null && !ca.isBlank() && otherCa != null && !otherCa.isBlank(),
                "TRIBUTARY_TEST_TLS_CA / TRIBUTARY_TEST_TLS_OTHER_CA not set (the local stack writes them)");
        db = new CopyFixture("tls", dir);
        db.source.execute("CREATE TABLE public.quotes (id int PRIMARY KEY, px numeric(18,6))",
                "INSERT INTO public.quotes SELECT g, g / 7.0 FROM generate_series(1, 100) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    private static CliRun copyOverTls(String sslmode, String rootCert) {
        Map<String, String> env = new HashMap<>(db.env());
        String tls = "?sslmode=" + sslmode + "&sslrootcert=" + rootCert;
        env.put("TRIBUTARY_CONN_SRC_EU", db.source.uri() + tls);
        env.put("TRIBUTARY_CONN_CONSOLIDATED", db.target.uri() + tls);
        return CliRun.run(env, "copy", "--config=" + db.config, "--source", "src_eu", "--table", "public.quotes");
    }

    private static void assertRefused(CliRun run, String what) {
        assertEquals(2, run.exitCode(), what + ": " + run);
        assertTrue(run.json().get("error").asText().contains("TLS refused"), run.toString());
        assertEquals(0, db.target.count("SELECT count(*) FROM pg_class WHERE relname = 'quotes'"), "nothing created");
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedUnderEveryVerifyingMode() {
        assertRefused(copyOverTls("verify-full", otherCa), "verify-full, wrong CA");
        assertRefused(copyOverTls("verify-ca", otherCa), "verify-ca, wrong CA");
        assertRefused(copyOverTls("require", otherCa), "require with a root CA file (libpq: verify-ca)");
        assertRefused(copyOverTls("verify-full", dir.resolve("no-such-ca.crt").toString()), "missing CA file");
    }

    @Test
    void libpqsEnvironmentDefaultsVerifyAUriThatNamesNoTlsSettings() {
        // The Helm chart sets PGSSLMODE=verify-full and PGSSLROOTCERT (the mounted CA) in every pod: a URI without
        // sslmode/sslrootcert verifies as libpq would with those variables.
        Map<String, String> env = new HashMap<>(db.env());
        env.put("PGSSLMODE", "verify-full");
        env.put("PGSSLROOTCERT", otherCa);
        assertRefused(CliRun.run(env, "copy", "--config=" + db.config, "--source", "src_eu", "--table",
                "public.quotes"), "PGSSLMODE=verify-full, PGSSLROOTCERT another CA");
    }

    @Test
    void theStacksOwnCaVerifiesAndTheCopyRunsOverTls() {
        // Method order is not fixed: the refusals above may run after this test, so they check only "quotes".
        Map<String, String> env = new HashMap<>(db.env());
        String tls = "?sslmode=verify-full&sslrootcert=" + ca;
        env.put("TRIBUTARY_CONN_SRC_EU", db.source.uri() + tls);
        env.put("TRIBUTARY_CONN_CONSOLIDATED", db.target.uri() + tls);
        db.source.execute("CREATE TABLE public.trades_tls (id int PRIMARY KEY)",
                "INSERT INTO public.trades_tls SELECT generate_series(1, 50)");
        CliRun run = CliRun.run(env, "copy", "--config=" + db.config, "--source", "src_eu", "--table",
                "public.trades_tls");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.json().get("verified").asBoolean());
        assertEquals(50, db.target.count("SELECT count(*) FROM public.trades_tls"));
    }
}
