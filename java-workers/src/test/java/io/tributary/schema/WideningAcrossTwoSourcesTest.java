package io.tributary.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same table in two instances with different shapes lands in one target table of the widest shape:
 * integer/bigint -> bigint, varchar(20)/varchar(50) -> varchar(50), numeric(10,2)/numeric(12,4) -> a numeric
 * holding both, a column only one side has -> nullable, enum labels merged; every change is in the result.
 * Both sources then copy into it (cast on the source side) and verify.
 */
@RequiresPostgres
class WideningAcrossTwoSourcesTest {
    @TempDir
    static Path dir;
    static ScratchDatabase eu;
    static ScratchDatabase us;
    static ScratchDatabase target;
    static Path config;
    static final Map<String, String> env = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        eu = TestPostgres.createDatabase("widen_eu");
        us = TestPostgres.createDatabase("widen_us");
        target = TestPostgres.createDatabase("widen_dst");
        eu.execute("CREATE SCHEMA app",
                "CREATE TYPE app.tier AS ENUM ('basic', 'gold')",
                "CREATE TABLE app.accounts (id integer PRIMARY KEY, name varchar(20) NOT NULL,"
                        + " balance numeric(10,2), tier app.tier NOT NULL)",
                "INSERT INTO app.accounts SELECT g, 'eu-' || g, g * 1.25, 'gold' FROM generate_series(1, 500) g");
        us.execute("CREATE SCHEMA app",
                "CREATE TYPE app.tier AS ENUM ('basic', 'platinum')",
                // region: only here, and not last (the unified table appends it after the EU columns)
                "CREATE TABLE app.accounts (id bigint PRIMARY KEY, name varchar(50) NOT NULL,"
                        + " balance numeric(12,4), region text, tier app.tier NOT NULL)",
                "INSERT INTO app.accounts SELECT 10000000000 + g, 'us-' || g, g * 0.0625, 'us-east', 'platinum'"
                        + " FROM generate_series(1, 300) g");
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                project: test
                control:
                  connection: consolidated
                  schema: tributary
                sources:
                  - id: src_eu
                    description: EU
                  - id: src_us
                    description: US
                targets:
                  consolidated:
                    connection: consolidated
                consolidate:
                  tables:
                    - source: src_eu
                      table: app.accounts
                    - source: src_us
                      table: app.accounts
                """);
        env.put("TRIBUTARY_CONN_SRC_EU", eu.uri());
        env.put("TRIBUTARY_CONN_SRC_US", us.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    @AfterAll
    static void drop() {
        for (ScratchDatabase db : new ScratchDatabase[] {eu, us, target}) {
            if (db != null) {
                db.close();
            }
        }
    }

    @Test
    void theTargetTakesTheWidestShapeAndBothSourcesLandVerified() {
        CliRun pre = CliRun.run(env, "schema", "--config=" + config, "--phase", "pre-data");
        assertEquals(0, pre.exitCode(), pre.toString());
        assertEquals("bigint|character varying(50)|true,text|false", target.query(
                "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE attrelid = 'app.accounts'::regclass"
                        + " AND attname = 'id'") + "|" + target.query("SELECT format_type(atttypid, atttypmod) || '|'"
                        + " || attnotnull FROM pg_attribute WHERE attrelid = 'app.accounts'::regclass AND attname = 'name'")
                        + "," + target.query("SELECT format_type(atttypid, atttypmod) || '|' || attnotnull"
                        + " FROM pg_attribute WHERE attrelid = 'app.accounts'::regclass AND attname = 'region'"));
        assertEquals("numeric(12,4)", target.query("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                + " WHERE attrelid = 'app.accounts'::regclass AND attname = 'balance'"));
        assertEquals("basic,platinum,gold", target.query( // TypeWidening.unionLabels keeps each source's order
                "SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = 'app.tier'::regtype"));

        Set<String> changes = new HashSet<>();
        for (JsonNode c : pre.json().get("changes")) {
            changes.add(c.path("column").asText("") + ":" + c.get("kind").asText());
        }
        assertTrue(changes.containsAll(Set.of("id:type_widened", "name:type_widened", "balance:type_widened",
                "region:column_added", ":enum_labels_merged")), changes.toString());

        java.math.BigInteger sum = java.math.BigInteger.ZERO;
        for (String source : new String[] {"src_eu", "src_us"}) {
            CliRun copy = CliRun.run(env, "copy", "--config=" + config, "--source", source, "--table", "app.accounts");
            assertEquals(0, copy.exitCode(), copy.toString());
            assertEquals(copy.json().get("checksum").asText(), copy.json().get("target_checksum").asText());
            sum = sum.add(new java.math.BigInteger(copy.json().get("checksum").asText(), 16));
        }
        assertEquals("800", target.query("SELECT count(*) FROM app.accounts"));
        // Each source hashed whole target rows (region NULL for EU, columns in the target's order), so the
        // sources' checksums add up to the target table's own: what the DAG's verify step compares.
        CliRun whole = CliRun.run(env, "checksum", "--conn", "consolidated", "--table", "app.accounts");
        assertEquals(0, whole.exitCode(), whole.toString());
        assertEquals(String.format("%016x", sum.mod(java.math.BigInteger.ONE.shiftLeft(64))),
                whole.json().get("checksum").asText());
        assertEquals("500", target.query("SELECT count(*) FROM app.accounts WHERE region IS NULL"));
        assertEquals("300", target.query("SELECT count(*) FROM app.accounts WHERE region = 'us-east' AND tier = 'platinum'"));
        assertEquals("1.25", target.query("SELECT trim_scale(balance)::text FROM app.accounts WHERE id = 1"));

        CliRun post = CliRun.run(env, "schema", "--config=" + config, "--phase", "post-data");
        assertEquals(0, post.exitCode(), post.toString());
        assertEquals("t", target.query("SELECT count(*) = 1 FROM pg_constraint WHERE conrelid = 'app.accounts'::regclass"
                + " AND contype = 'p'"));
    }
}
