package io.tributary.conflicts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

class ConflictsFindShapeDifferencesAndWideningTest {

    @Test
    void integersWidenToTheLargest() {
        assertEquals(Optional.of("bigint"), TypeWidening.widen("integer", "bigint"));
        assertEquals(Optional.of("integer"), TypeWidening.widen(List.of("smallint", "integer", "smallint")));
    }

    @Test
    void numericKeepsTheMostIntegerAndFractionDigits() {
        // (18,4) allows 14 integer digits, (20,8) only 12: the lossless common type is (22,8).
        assertEquals(Optional.of("numeric(22,8)"), TypeWidening.widen("numeric(18,4)", "numeric(20,8)"));
        assertEquals(Optional.of("numeric(20,8)"), TypeWidening.widen("numeric(18,6)", "numeric(20,8)"));
        assertEquals(Optional.of("numeric"), TypeWidening.widen("numeric", "numeric(10,2)"));
        assertEquals(Optional.of("numeric(21,2)"), TypeWidening.widen("bigint", "numeric(10,2)"));
    }

    @Test
    void textTypesWidenToTheLongest() {
        assertEquals(Optional.of("character varying(32)"),
                TypeWidening.widen("character varying(16)", "character varying(32)"));
        assertEquals(Optional.of("text"), TypeWidening.widen("character varying(16)", "text"));
        assertEquals(Optional.of("text[]"), TypeWidening.widen("character varying(8)[]", "text[]"));
        assertEquals(Optional.of("double precision"), TypeWidening.widen("real", "double precision"));
        assertEquals(Optional.of("jsonb"), TypeWidening.widen("json", "jsonb"));
    }

    @Test
    void incompatibleTypesAreManual() {
        assertEquals(Optional.empty(), TypeWidening.widen("text", "integer"));
        assertEquals(Optional.empty(), TypeWidening.widen("timestamp without time zone", "timestamp with time zone"));
        assertEquals(Optional.empty(), TypeWidening.widen("bigint", "double precision"));
    }

    @Test
    void enumLabelsUniteInOrder() {
        assertEquals(List.of("pending", "active", "restricted", "suspended", "closed"), TypeWidening.unionLabels(List.of(
                List.of("pending", "active", "suspended", "closed"),
                List.of("pending", "active", "restricted", "suspended", "closed"))));
    }

    /** Two scratch databases standing in for two drifted instances. */
    @Nested
    @RequiresPostgres
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class AcrossTwoInstances {
        Path dir;
        ScratchDatabase eu;
        ScratchDatabase us;
        JsonNode doc;
        CliRun run;

        @BeforeAll
        void createDriftedInstances() throws IOException {
            dir = Files.createTempDirectory("tributary-shapes");
            eu = TestPostgres.createDatabase("shape_eu");
            us = TestPostgres.createDatabase("shape_us");
            eu.execute(
                    "CREATE TYPE public.user_status AS ENUM ('pending', 'active', 'suspended', 'closed')",
                    "CREATE TABLE public.agent_status (agent_id text PRIMARY KEY, heartbeat_seq integer NOT NULL,"
                            + " version varchar(16) NOT NULL, status public.user_status, code text, updated_at timestamptz)",
                    "CREATE TABLE public.positions (user_id bigint, symbol text, qty numeric(18,4), PRIMARY KEY (user_id, symbol))",
                    "CREATE TABLE public.fills (exec_id text NOT NULL, ts timestamptz NOT NULL, PRIMARY KEY (exec_id, ts))"
                            + " PARTITION BY RANGE (ts)",
                    "CREATE TABLE public.fills_2026 PARTITION OF public.fills FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                    "CREATE TABLE public.orders (id bigint PRIMARY KEY, account_id bigint NOT NULL)");
            us.execute(
                    "CREATE TYPE public.user_status AS ENUM ('pending', 'active', 'restricted', 'suspended', 'closed')",
                    "CREATE TABLE public.agent_status (agent_id text PRIMARY KEY, heartbeat_seq bigint NOT NULL,"
                            + " version varchar(32) NOT NULL, status public.user_status, code integer, updated_at timestamptz,"
                            + " region text NOT NULL DEFAULT 'us-east-1', note text)",
                    "CREATE TABLE public.positions (user_id bigint, symbol text, qty numeric(20,8), PRIMARY KEY (user_id, symbol))",
                    "CREATE TABLE public.fills (exec_id text PRIMARY KEY, ts timestamptz NOT NULL)",
                    "CREATE TABLE public.accounts (id bigint PRIMARY KEY, name text)");
            Map<String, String> env = Map.of("TRIBUTARY_CONN_SRC_EU", eu.uri(), "TRIBUTARY_CONN_SRC_US", us.uri());
            Discovery.discover(env, "src_eu", dir);
            Discovery.discover(env, "src_us", dir);
            Path config = dir.resolve("migration.yaml");
            Files.writeString(config, """
                    version: 1
                    control: {connection: consolidated}
                    sources: [{id: src_eu}, {id: src_us}]
                    targets: {consolidated: {connection: consolidated}}
                    """);
            run = CliRun.run(env, "conflicts", "--config", config.toString(), "--catalog-only",
                    "--inventory", dir.resolve("inventory-src_eu.json").toString(),
                    "--inventory", dir.resolve("inventory-src_us.json").toString(),
                    "--output", dir.resolve("conflicts.json").toString());
            doc = Discovery.read(dir.resolve("conflicts.json"));
        }

        @AfterAll
        void drop() {
            try {
                if (eu != null) {
                    eu.close();
                }
            } finally {
                if (us != null) {
                    us.close();
                }
            }
        }

        JsonNode only(String kind, String table) {
            List<JsonNode> found = Discovery.conflicts(doc, kind, table);
            assertEquals(1, found.size(), kind + " " + table + " in " + doc.toPrettyString());
            return found.get(0);
        }

        JsonNode typeConflict(String table, String column) {
            return Discovery.conflicts(doc, "column_type", table).stream()
                    .filter(c -> c.get("detail").get("column").asText().equals(column)).findFirst()
                    .orElseThrow(() -> new AssertionError("no column_type for " + column + " in " + doc.toPrettyString()));
        }

        @Test
        void resultLineSummarises() {
            assertEquals(0, run.exitCode(), run.toString());
            JsonNode result = run.json();
            assertEquals("[\"src_eu\",\"src_us\"]", result.get("instances").toString());
            assertEquals(doc.get("conflicts").size(), result.get("conflicts").asInt());
            assertTrue(result.get("output").asText().endsWith("conflicts.json"));
        }

        @Test
        void typesWidenOrGoManual() {
            JsonNode seq = typeConflict("public.agent_status", "heartbeat_seq");
            assertEquals("type-widening", seq.get("resolution").get("strategy").asText());
            assertEquals("bigint", seq.get("resolution").get("target_type").asText());
            assertEquals("integer", seq.get("detail").get("types").get("src_eu").asText());
            assertEquals("character varying(32)",
                    typeConflict("public.agent_status", "version").get("resolution").get("target_type").asText());
            assertEquals("numeric(22,8)", typeConflict("public.positions", "qty").get("resolution").get("target_type").asText());
            JsonNode code = typeConflict("public.agent_status", "code");
            assertEquals("manual", code.get("resolution").get("strategy").asText());
            assertTrue(code.get("overridable_by").asText().contains("*.public.agent_status"));
            assertEquals(List.of("src_eu", "src_us"), List.of(code.get("instances").get(0).asText(),
                    code.get("instances").get(1).asText()));
        }

        @Test
        void missingColumnsAreAddedWithTheirDefaultOrNull() {
            JsonNode set = only("column_set", "public.agent_status");
            JsonNode region = set.get("detail").get("columns").get("region");
            assertEquals("[\"src_eu\"]", region.get("missing_in").toString());
            assertEquals("add-column", set.get("resolution").get("strategy").asText());
            String add = set.get("resolution").get("add_columns").toString();
            assertTrue(add.contains("\"name\":\"region\",\"type\":\"text\",\"fill\":\"default\""), add);
            assertTrue(add.contains("\"name\":\"note\",\"type\":\"text\",\"fill\":\"null\""), add);
        }

        @Test
        void enumWithExtraLabelsBecomesTheUnion() {
            JsonNode e = only("enum_labels", "public.user_status");
            assertEquals("enum-union", e.get("resolution").get("strategy").asText());
            assertEquals("[\"pending\",\"active\",\"restricted\",\"suspended\",\"closed\"]",
                    e.get("resolution").get("labels").toString());
            assertTrue(e.get("detail").get("used_by").toString().contains("public.agent_status.status"));
        }

        @Test
        void partitionedVersusPlainAndDifferentKeys() {
            JsonNode kind = only("table_kind", "public.fills");
            assertEquals("partitioned", kind.get("detail").get("kinds").get("src_eu").asText());
            assertEquals("table", kind.get("detail").get("kinds").get("src_us").asText());
            assertEquals("adopt-partitioned", kind.get("resolution").get("strategy").asText());
            assertEquals("RANGE (ts)", kind.get("resolution").get("partition_key").asText());
            JsonNode pk = only("primary_key", "public.fills");
            assertEquals("widest-key", pk.get("resolution").get("strategy").asText());
            assertEquals("[\"exec_id\",\"ts\"]", pk.get("resolution").get("columns").toString());
        }

        @Test
        void referenceToATableOfAnotherInstance() {
            JsonNode ref = only("cross_instance_reference", "public.orders");
            assertEquals("account_id", ref.get("detail").get("column").asText());
            assertEquals("public.accounts", ref.get("detail").get("referenced_table").asText());
            assertEquals("[\"src_eu\",\"src_us\"]", ref.get("instances").toString());
        }

        @Test
        void everyConflictHasTheContractKeys() {
            for (JsonNode c : doc.get("conflicts")) {
                for (String key : List.of("kind", "table", "instances", "detail", "count", "sample", "resolution",
                        "overridable_by")) {
                    assertTrue(c.has(key), key + " missing in " + c);
                }
                assertTrue(c.get("resolution").has("strategy"), c.toString());
            }
        }
    }
}
