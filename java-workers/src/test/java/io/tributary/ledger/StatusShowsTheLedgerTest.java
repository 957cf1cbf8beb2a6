package io.tributary.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import java.nio.file.Path;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresPostgres
class StatusShowsTheLedgerTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("status", dir);
        db.source.execute(
                "CREATE TABLE public.users (id int PRIMARY KEY, email text)",
                "INSERT INTO public.users SELECT g, 'u' || g FROM generate_series(1, 300) g",
                "CREATE TABLE public.strategies (id int PRIMARY KEY, name text)",
                "INSERT INTO public.strategies SELECT g, 's' || g FROM generate_series(1, 20) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void statusIsReadOnlyBeforeAnyCopyAndListsTablesAfter() {
        CliRun empty = CliRun.run(db.env(), "status", "--config", db.config.toString());
        assertEquals(0, empty.exitCode(), empty.toString());
        assertEquals(0, empty.json().get("count").asInt());
        assertEquals(0, db.target.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'tributary'"),
                "status must not create the control schema");

        assertEquals(0, db.copy("public.users", "--run-id", "r1").exitCode());
        assertEquals(0, db.copy("public.strategies", "--run-id", "r2").exitCode());

        CliRun all = CliRun.run(db.env(), "status", "--config", db.config.toString());
        assertEquals(0, all.exitCode(), all.toString());
        JsonNode json = all.json();
        assertEquals(2, json.get("count").asInt());
        assertEquals(2, json.get("verified").asInt());
        JsonNode first = json.get("tables").get(0);
        assertEquals("public.strategies", first.get("table").asText());
        assertEquals("copied", first.get("status").asText());
        assertEquals(20, first.get("rows").asLong());
        assertTrue(first.get("verified").asBoolean());
        assertTrue(all.stderr().contains("source checksum"), all.stderr());
        assertTrue(all.stderr().matches("(?s).*src_eu\\s+public\\.users\\s+consolidated\\s+public\\.users\\s+copied\\s+300\\s.*"),
                all.stderr());

        CliRun one = CliRun.run(db.env(), "status", "--config", db.config.toString(), "--run-id", "r1");
        assertEquals(1, one.json().get("count").asInt());
        assertEquals("public.users", one.json().get("tables").get(0).get("table").asText());
    }
}
