package io.tributary.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.FollowFixture;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code follow --prepare --dry-run} says what --prepare would create (publication and its tables, slot, plugin,
 * control schema) and creates nothing: no slot, no publication, no control schema. What --prepare would refuse, the
 * dry run refuses with the same exit code and the same message.
 */
@RequiresPostgres
class FollowPrepareDryRunChangesNothingTest {
    @TempDir
    static Path dir;
    static FollowFixture db;

    @BeforeAll
    static void createTables() {
        db = new FollowFixture("follow_dry_run", dir);
        db.source.execute(
                "CREATE TABLE public.trades (id bigint PRIMARY KEY, qty int)",
                "CREATE TABLE public.\"Odd Name\" (id int PRIMARY KEY)",
                "CREATE TABLE public.ticks (symbol text, price numeric)"); // no key: no usable replica identity
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @AfterEach
    void nothingWasCreated() {
        assertEquals(0, db.source.count("SELECT count(*) FROM pg_publication"), "no publication created");
        assertEquals(0, db.source.count("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"
                + " AND slot_name <> 'tributary_src_eu_taken'"), "no slot created");
        assertNull(db.target.query("SELECT to_regnamespace('tributary')"), "no control schema created");
    }

    @Test
    void aDryRunSaysWhatPrepareWouldCreateAndCreatesNothing() {
        CliRun run = db.follow(List.of("public.trades", "public.Odd Name"), "--prepare", "--dry-run");
        assertEquals(0, run.exitCode(), run.toString());
        var json = run.json();
        assertEquals("dry-run", json.get("status").asText(), run.toString());
        assertTrue(json.get("dry_run").asBoolean(), run.toString());
        assertEquals("tributary_src_eu", json.get("slot").asText());
        assertEquals("pgoutput", json.get("plugin").asText());
        assertEquals("tributary_src_eu", json.get("publication").asText());
        assertEquals("would create", json.get("publication_action").asText());
        assertEquals("[\"public.Odd Name\",\"public.trades\"]", json.get("publication_tables").toString());
        assertEquals("tributary: would create", json.get("control_schema").asText());
        assertEquals("src_eu", json.get("source").asText());
        assertEquals("consolidated", json.get("target").asText());
    }

    @Test
    void whatPrepareRefusesTheDryRunRefusesTheSameWay() {
        List<String> tables = List.of("public.trades", "public.ticks", "public.gone");
        CliRun dry = db.follow(tables, "--prepare", "--dry-run");
        CliRun real = db.follow(tables, "--prepare");
        assertEquals(2, dry.exitCode(), dry.toString());
        assertEquals(2, real.exitCode(), real.toString());
        String error = dry.json().get("error").asText();
        assertEquals(real.json().get("error").asText(), error);
        assertTrue(error.contains("table public.ticks in src_eu has no usable replica identity"), error);
        assertTrue(error.contains("table public.gone does not exist in src_eu"), error);
    }

    @Test
    void aSlotNameTakenOnTheSourceIsRefusedTheSameWay() {
        db.source.execute("SELECT pg_create_logical_replication_slot('tributary_src_eu_taken', 'pgoutput')");
        try {
            CliRun dry = db.follow(List.of("public.trades"), "--prepare", "--dry-run", "--slot", "tributary_src_eu_taken");
            CliRun real = db.follow(List.of("public.trades"), "--prepare", "--slot", "tributary_src_eu_taken");
            assertEquals(2, dry.exitCode(), dry.toString());
            assertEquals(2, real.exitCode(), real.toString());
            assertEquals(real.json().get("error").asText(), dry.json().get("error").asText());
            assertTrue(dry.json().get("error").asText().contains("replication slot tributary_src_eu_taken already"
                    + " exists on src_eu but not in the control schema"), dry.toString());
        } finally {
            db.source.execute("SELECT pg_drop_replication_slot('tributary_src_eu_taken')");
            // the real prepare created the control schema before it refused (as it always has): not the dry run's
            db.target.execute("DROP SCHEMA IF EXISTS tributary CASCADE");
        }
    }

    @Test
    void aPublicationADbaCreatedIsUsedIfItCoversTheTablesAndRefusedTheSameWayIfNot() {
        db.source.execute("CREATE PUBLICATION tributary_src_eu FOR TABLE public.trades");
        try {
            CliRun covers = db.follow(List.of("public.trades"), "--prepare", "--dry-run");
            assertEquals(0, covers.exitCode(), covers.toString());
            assertEquals("exists, covers the tables", covers.json().get("publication_action").asText());
            List<String> both = List.of("public.trades", "public.Odd Name");
            CliRun dry = db.follow(both, "--prepare", "--dry-run");
            CliRun real = db.follow(both, "--prepare");
            assertEquals(2, dry.exitCode(), dry.toString());
            assertEquals(2, real.exitCode(), real.toString());
            assertEquals(real.json().get("error").asText(), dry.json().get("error").asText());
            assertTrue(dry.json().get("error").asText().contains("publication tributary_src_eu exists on src_eu but"
                    + " does not cover public.Odd Name"), dry.toString());
        } finally {
            db.source.execute("DROP PUBLICATION tributary_src_eu");
            // the real prepare created the control schema before it refused (as it always has): not the dry run's
            db.target.execute("DROP SCHEMA IF EXISTS tributary CASCADE");
        }
    }

    @Test
    void aSourceWithoutLogicalWalAndWithoutReplicationIsRefusedTheSameWay() {
        // The warehouse stand-in runs wal_level=replica and its role has no REPLICATION attribute.
        try (ScratchDatabase plain = TestPostgres.createPlainDatabase("follow_dry_plain_src")) {
            plain.execute("CREATE TABLE public.trades (id bigint PRIMARY KEY, qty int)");
            Map<String, String> env = new HashMap<>(db.env());
            env.put("TRIBUTARY_CONN_SRC_EU", plain.uri());
            CliRun dry = CliRun.run(env, "follow", "--config=" + db.config, "--source", "src_eu", "--table",
                    "public.trades", "--prepare", "--dry-run");
            CliRun real = CliRun.run(env, "follow", "--config=" + db.config, "--source", "src_eu", "--table",
                    "public.trades", "--prepare");
            assertEquals(2, dry.exitCode(), dry.toString());
            assertEquals(2, real.exitCode(), real.toString());
            String error = dry.json().get("error").asText();
            assertEquals(real.json().get("error").asText(), error);
            assertTrue(error.contains("lacks the REPLICATION attribute"), error);
            assertEquals(0, plain.count("SELECT count(*) FROM pg_publication"), "no publication created");
        }
    }

    @Test
    void aDryRunOnlyGoesWithPrepare() {
        CliRun release = db.follow(List.of("public.trades"), "--release", "--dry-run");
        assertEquals(2, release.exitCode(), release.toString());
        assertTrue(release.json().get("error").asText().contains("--dry-run goes with --prepare"), release.toString());
        CliRun withStart = db.follow(List.of("public.trades"), "--prepare", "--dry-run", "--start-file",
                dir.resolve("start").toString());
        assertEquals(2, withStart.exitCode(), withStart.toString());
    }
}
