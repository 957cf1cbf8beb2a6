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
        assertEquals(0, json.get("reconciliation").size(), "no reconciliation pass yet");

        // tributary_reconcile's passes (dags/tributary/reconcile.py): the last one per table, with its mismatch rate
        db.target.execute("INSERT INTO tributary.reconcile_passes (source, source_table, target_table, mode,"
                + " source_xid_next, target_xid_next, rows_compared, candidates, transient, confirmed, unsettled,"
                + " mismatch_rate) VALUES ('src_eu', 'public.users', 'public.users', 'full', 1, 1, 300, 0, 0, 0, 0, 0),"
                + " ('src_eu', 'public.users', 'public.users', 'changed', 2, 2, 8, 3, 1, 2, 0, 0.25)");
        CliRun reconciled = CliRun.run(db.env(), "status", "--config", db.config.toString());
        assertEquals(0, reconciled.exitCode(), reconciled.toString());
        JsonNode pass = reconciled.json().get("reconciliation").get(0);
        assertEquals(1, reconciled.json().get("reconciliation").size());
        assertEquals("changed", pass.get("mode").asText());
        assertEquals(8, pass.get("rows_compared").asLong());
        assertEquals(2, pass.get("confirmed").asLong());
        assertEquals(0.25, pass.get("mismatch_rate").asDouble());
        assertTrue(reconciled.stderr().matches("(?s).*src_eu\\s+public\\.users\\s+changed\\s+\\S+\\s+8\\s+2\\s+0\\s+0\\.250000.*"),
                reconciled.stderr());
    }
}
