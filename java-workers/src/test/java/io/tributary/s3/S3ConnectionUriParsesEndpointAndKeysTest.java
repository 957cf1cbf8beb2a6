package io.tributary.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import java.net.URI;
import org.junit.jupiter.api.Test;

class S3ConnectionUriParsesEndpointAndKeysTest {

    @Test
    void localEndpointIsPathStyleWithStaticKeys() {
        S3ConnectionUri uri = S3ConnectionUri.parse("s3://AKID:s3cr%2Bt@127.0.0.1:54340?region=us-east-1&scheme=http",
                "TRIBUTARY_CONN_S3");
        assertEquals(URI.create("http://127.0.0.1:54340"), uri.endpoint().orElseThrow());
        assertTrue(uri.pathStyle());
        assertEquals("AKID", uri.accessKey());
        assertEquals("s3cr+t", uri.secretKey());
        assertEquals("us-east-1", uri.region());
        assertFalse(uri.toString().contains("AKID") || uri.toString().contains("s3cr"), uri.toString());
    }

    @Test
    void noHostMeansAwsWithTheDefaultCredentialChain() {
        S3ConnectionUri uri = S3ConnectionUri.parse("s3://?region=eu-west-1", "X");
        assertTrue(uri.endpoint().isEmpty());
        assertFalse(uri.pathStyle());
        assertFalse(uri.hasStaticCredentials());
        assertEquals("eu-west-1", uri.region());
    }

    @Test
    void malformedFormsAreExitTwoWithoutEchoingTheSecret() {
        for (String bad : new String[] {
            "postgresql://u:p@h/db", "s3://onlykey@host", "s3://k:s@host?colour=blue", "s3://k:s@host?scheme=ftp",
            "s3://k:s@host?path_style=maybe", "s3://?session_token=t", "s3://k:s@ho st",
            "s3://k:s@host?scheme=http&cafile=/ca.crt", "s3://k:s@host?cafile="}) {
            JobFailure f = assertThrows(JobFailure.class, () -> S3ConnectionUri.parse(bad, "TRIBUTARY_CONN_S3"), bad);
            assertEquals(ExitCode.BAD_INPUT, f.exitCode(), bad);
            assertTrue(f.getMessage().startsWith("TRIBUTARY_CONN_S3"), f.getMessage());
            assertFalse(f.getMessage().contains(":s@"), f.getMessage());
        }
    }

    @Test
    void cafileNamesTheCaAnHttpsEndpointMustVerifyAgainst() {
        S3ConnectionUri uri = S3ConnectionUri.parse(
                "s3://k:s@127.0.0.1:54341?region=us-east-1&scheme=https&cafile=%2Ftmp%2Fca.crt", "X");
        assertEquals(java.nio.file.Path.of("/tmp/ca.crt"), uri.caFile().orElseThrow());
        assertEquals(URI.create("https://127.0.0.1:54341"), uri.endpoint().orElseThrow());
        assertTrue(S3ConnectionUri.parse("s3://?region=eu-west-1", "X").caFile().isEmpty(), "AWS: the JVM's CAs");
    }

    @Test
    void locationsParseAndResolve() {
        S3Location loc = S3Location.parse("s3://tributary-warehouse/stage/ticks", "--to");
        assertEquals("tributary-warehouse", loc.bucket());
        assertEquals("s3://tributary-warehouse/stage/ticks/manifest", loc.resolve("manifest").url());
        assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                () -> S3Location.parse("s3://Bad_Bucket/x", "--to")).exitCode());
    }
}
