package io.tributary.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultLineIsLastAndMirroredToFileTest {
    @TempDir
    Path dir;

    private Path repoConfig() {
        return Path.of(System.getProperty("tributary.repo.dir", ".."), "config", "migration.yaml");
    }

    @Test
    void resultFileHoldsTheSameJsonAsTheLastStdoutLine() throws IOException {
        Path out = dir.resolve("xcom/return.json");
        CliRun run = CliRun.run(Map.of(), "--result-file", out.toString(), "validate-config", "--config",
                repoConfig().toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(run.lastLine(), Files.readString(out).strip());

        Path after = dir.resolve("after.json");
        CliRun inherited = CliRun.run(Map.of(), "validate-config", "--config", repoConfig().toString(),
                "--result-file", after.toString());
        assertEquals(inherited.lastLine(), Files.readString(after).strip());
    }

    @Test
    void failuresAlsoEndWithAJsonLineAndGoToTheResultFile() throws IOException {
        Path out = dir.resolve("fail.json");
        CliRun run = CliRun.run(Map.of(), "checksum", "--conn", "src_eu", "--table", "public.users",
                "--result-file", out.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals(2, run.json().get("exit_code").asInt());
        assertTrue(run.json().get("error").asText().contains("TRIBUTARY_CONN_SRC_EU"), run.toString());
        assertEquals(run.lastLine(), Files.readString(out).strip());
        assertTrue(run.stderr().contains("checksum summary"), "summary table on stderr\n" + run);
    }

    @Test
    void badArgumentsAreExitTwoWithUsageHint() {
        CliRun run = CliRun.run(Map.of(), "copy", "--bogus");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.stderr().contains("tributary copy --help"), run.toString());
        assertEquals("copy", run.json().get("command").asText());

        CliRun none = CliRun.run(Map.of());
        assertEquals(2, none.exitCode());
        assertTrue(none.json().has("error"));
    }

    @Test
    void connectionRefusedIsRetryable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free, and nothing listens once closed
        }
        CliRun run = CliRun.run(Map.of("TRIBUTARY_CONN_SRC_EU", "postgresql://u:secretpw@127.0.0.1:" + port + "/db"),
                "checksum", "--conn", "src_eu", "--table", "public.users");
        assertEquals(4, run.exitCode(), run.toString());
        assertEquals(4, run.json().get("exit_code").asInt());
        assertTrue(run.json().get("error").asText().startsWith("connection src_eu: "), run.toString());
        assertFalse(run.stdout().contains("secretpw") || run.stderr().contains("secretpw"), run.toString());
    }

    @Test
    void helpAndVersionGoToStdoutWithExitZero() {
        CliRun help = CliRun.run(Map.of(), "copy", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.stdout().contains("--truncate"));
        CliRun version = CliRun.run(Map.of(), "--version");
        assertEquals(0, version.exitCode());
        assertTrue(version.stdout().startsWith("tributary "));
    }
}
