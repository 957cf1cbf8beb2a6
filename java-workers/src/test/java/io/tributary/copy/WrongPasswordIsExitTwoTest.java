package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tributary.connect.ConnectionUri;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Needs password authentication on TRIBUTARY_TEST_PG_URI's server (the local stack uses scram-sha-256). */
@RequiresPostgres
class WrongPasswordIsExitTwoTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createDatabases() {
        db = new CopyFixture("wrong_password", dir);
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void wrongPasswordIsOneClearLineAndExitTwo() {
        String wrong = "Wr0ngPassw0rd-" + System.nanoTime();
        String uri = db.source.uri();
        int start = uri.indexOf("://") + 3;
        int at = uri.lastIndexOf('@');
        String userInfo = uri.substring(start, at);
        String userPart = userInfo.contains(":") ? userInfo.substring(0, userInfo.indexOf(':')) : userInfo;
        String bad = uri.substring(0, start) + userPart + ":" + wrong + uri.substring(at);
        Map<String, String> env = new HashMap<>(db.env());
        env.put("TRIBUTARY_CONN_SRC_EU", bad);
        String user = ConnectionUri.parse(TestPostgres.uri(), "test").user();

        CliRun run = CliRun.run(env, "copy", "--config", db.config.toString(), "--source", "src_eu",
                "--table", "public.users");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("connection src_eu: password authentication failed for user " + user,
                run.json().get("error").asText());
        assertFalse(run.stderr().contains("\tat "), "no stack trace:\n" + run.stderr());
        assertFalse(run.stderr().contains(wrong) || run.stdout().contains(wrong), "password leaked:\n" + run);
    }

    @Test
    void missingTableIsNamedAndNothingIsCreated() {
        CliRun run = db.copy("public.nope");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("table public.nope does not exist in src_eu", run.json().get("error").asText());
        assertEquals(0, db.target.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'tributary'"));

        CliRun checksum = CliRun.run(db.env(), "checksum", "--conn", "src_eu", "--table", "public.nope");
        assertEquals(2, checksum.exitCode(), checksum.toString());
        assertEquals("table public.nope does not exist in src_eu", checksum.json().get("error").asText());
    }

    @Test
    void undeclaredSourceIsBadInput() {
        CliRun run = CliRun.run(db.env(), "copy", "--config", db.config.toString(), "--source", "src_us",
                "--table", "public.users");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("source src_us is not declared in migration.yaml (declared: src_eu)",
                run.json().get("error").asText());
    }
}
