package io.tributary.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tributary.s3.S3Location;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.TestS3;
import io.tributary.testing.WarehouseFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * S3 over HTTPS verified like PostgreSQL's TLS: the S3 URI's {@code cafile=} names the CA that must have signed the
 * server's certificate (the local stack's S3Proxy serves HTTPS with a certificate from the stack's CA). Another CA
 * is refused: exit 2, never retried, nothing written to the bucket; the right one stages as usual.
 */
@RequiresPostgres
class StageOverHttpsVerifiesTheS3CertificateTest {
    static final String OTHER_CA = System.getenv("TRIBUTARY_TEST_TLS_OTHER_CA");

    @TempDir
    static Path dir;
    static WarehouseFixture fx;

    @BeforeAll
    static void setUp() {
        assumeTrue(OTHER_CA != null && !OTHER_CA.isBlank(), "TRIBUTARY_TEST_TLS_OTHER_CA not set (the stack writes it)");
        fx = new WarehouseFixture("stagetls", dir, "- {source: src_eu, table: market.fills, partition_column: ts}");
        fx.source.execute("CREATE SCHEMA market", "CREATE TABLE market.fills (id bigint, qty numeric(12,2), ts timestamptz)",
                "INSERT INTO market.fills SELECT i, i / 4.0, '2026-06-01 00:00+00'::timestamptz + i * interval '1 minute'"
                        + " FROM generate_series(0, 99) i");
        fx.store.ensureBucket(fx.bucket);
    }

    @AfterAll
    static void tearDown() {
        if (fx != null) {
            fx.close();
        }
    }

    static CliRun stageOver(String s3Uri) {
        fx.env().put("TRIBUTARY_CONN_S3", s3Uri);
        return fx.run("stage", "--config", fx.config.toString(), "--source", "src_eu", "--table", "market.fills",
                "--from", "2026-06-01T00:00:00+00:00", "--to", "2026-06-02T00:00:00+00:00", "--run-id", "junit-tls");
    }

    @Test
    void anotherCaIsRefusedWithExitTwoAndTheStacksCaStages() {
        CliRun refused = stageOver(TestS3.tlsUri(OTHER_CA));
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.json().get("error").asText().contains("TLS refused"), refused.toString());
        assertTrue(fx.store.list(new S3Location(fx.bucket, "")).isEmpty(), "nothing written to the bucket");

        CliRun staged = stageOver(TestS3.tlsUri(null));
        assertEquals(0, staged.exitCode(), staged.toString());
        assertEquals(100, staged.json().get("rows").asLong(), staged.toString());
        assertFalse(fx.store.list(new S3Location(fx.bucket, "")).isEmpty(), "the stage's files are in the bucket");
    }
}
