package io.tributary.conflicts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.testing.CliRun;
import io.tributary.testing.Discovery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against the real demo sources of the local stack (read-only; skipped without TRIBUTARY_CONN_SRC_EU/US):
 * discovery and conflict detection find what scripts/sample_data planted, at whatever DEMO_SCALE was
 * loaded (expectations from scripts/sample_data/expected.py for the scale recorded in the database comment).
 */
class ConflictsFindThePlantedDemoConflictsTest {
    @TempDir
    static Path dir;
    static Map<String, String> env = new HashMap<>();
    static JsonNode expected;
    static JsonNode eu;
    static JsonNode us;
    static JsonNode doc;
    static CliRun run;
    static String staleScansBefore;

    @BeforeAll
    static void discoverTheDemoSources() throws Exception {
        for (String id : List.of("SRC_EU", "SRC_US")) {
            String uri = System.getenv("TRIBUTARY_CONN_" + id);
            Assumptions.assumeTrue(uri != null && !uri.isBlank(), "TRIBUTARY_CONN_" + id + " is not set: no demo sources");
            env.put("TRIBUTARY_CONN_" + id, uri);
        }
        String scale = scale(env.get("TRIBUTARY_CONN_SRC_EU"));
        Assumptions.assumeTrue(scale != null, "src_eu holds no sample data (no load.sh marker)");
        expected = expectedAt(scale);
        staleScansBefore = staleScans();
        eu = Discovery.discover(env, "src_eu", dir);
        us = Discovery.discover(env, "src_us", dir);
        Path config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                control: {connection: consolidated}
                sources: [{id: src_eu}, {id: src_us}]
                targets: {consolidated: {connection: consolidated}}
                defaults: {conflict_strategy: source-wins}
                """);
        run = CliRun.run(env, "conflicts", "--config", config.toString(),
                "--inventory", dir.resolve("inventory-src_eu.json").toString(),
                "--inventory", dir.resolve("inventory-src_us.json").toString(),
                "--output", dir.resolve("conflicts.json").toString());
        assertEquals(0, run.exitCode(), run.toString());
        doc = Discovery.read(dir.resolve("conflicts.json"));
    }

    static long planted(String key) {
        return expected.get("conflicts").get(key).asLong();
    }

    static long count(String kind, String table) {
        List<JsonNode> found = Discovery.conflicts(doc, kind, table);
        assertEquals(1, found.size(), kind + " " + table);
        return found.get(0).get("count").asLong();
    }

    @Test
    void idCollisionsAreCountedExactly() {
        assertEquals(planted("users_id_collisions"), count("key_overlap", "public.users"));
        assertEquals(planted("trades_id_collisions"), count("key_overlap", "public.trades"));
        assertEquals(planted("strategies_same_code_and_id"), count("key_overlap", "public.strategies"));
    }

    @Test
    void sameCustomersAcrossInstancesAreFound() {
        assertEquals(planted("users_same_email"), count("duplicate_natural_key", "public.users"));
        assertEquals(planted("users_email_case_variants"), count("duplicate_natural_key_case_insensitive", "public.users"));
        assertEquals(planted("strategies_same_code_and_id"), count("duplicate_natural_key", "public.strategies"));
        assertEquals(planted("agent_status_same_agent_id"), count("duplicate_natural_key", "public.agent_status"));
        JsonNode users = Discovery.conflicts(doc, "duplicate_natural_key", "public.users").get(0);
        assertEquals("last-write-wins", users.get("resolution").get("strategy").asText());
    }

    @Test
    void schemaDriftIsFoundWithWidening() {
        String text = doc.get("conflicts").toString();
        assertTrue(text.contains("\"column\":\"heartbeat_seq\",\"types\":{\"src_eu\":\"integer\",\"src_us\":\"bigint\"}"), text);
        assertTrue(text.contains("\"target_type\":\"character varying(32)\""), text);
        assertTrue(text.contains("\"target_type\":\"numeric(22,8)\""), text);
        assertEquals(1, Discovery.conflicts(doc, "enum_labels", "public.user_status").size());
        assertEquals(1, Discovery.conflicts(doc, "table_kind", "market.fills").size());
        assertEquals(1, Discovery.conflicts(doc, "column_set", "public.agent_status").size());
    }

    @Test
    void inventoriesMatchTheLoadedData() {
        JsonNode fills = Discovery.table(eu, "market.fills");
        assertEquals("partitioned", fills.get("kind").asText());
        assertEquals(8, fills.get("partitions").size());
        assertEquals("table", Discovery.table(us, "market.fills").get("kind").asText());
        for (var table : expected.get("tables").get("src_eu").properties()) {
            JsonNode t = Discovery.table(eu, table.getKey());
            assertTrue(t != null, table.getKey() + " discovered");
            long estimate = t.get("size").get("rows_estimate").asLong();
            assertTrue(Math.abs(estimate - table.getValue().asLong()) <= Math.max(2, table.getValue().asLong() / 20),
                    table.getKey() + ": estimate " + estimate + " vs " + table.getValue());
        }
    }

    @Test
    void staleTablesWereNotReadByDiscoveryOrConflicts() throws Exception {
        TimeUnit.MILLISECONDS.sleep(800);
        assertEquals(staleScansBefore, staleScans());
        for (JsonNode stale : expected.get("conflicts").get("stale_tables").get("src_eu")) {
            JsonNode usage = Discovery.table(eu, stale.asText()).get("usage");
            assertEquals(0, usage.get("seq_scan").asLong() + usage.get("idx_scan").asLong(0), stale.asText());
        }
    }

    /** seq_scan/idx_scan of every table with no scans, on src_eu, as one string. */
    static String staleScans() throws SQLException {
        try (Connection c = connect(env.get("TRIBUTARY_CONN_SRC_EU")); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = st.executeQuery("SELECT string_agg(relname || '=' || seq_scan || '/' || coalesce(idx_scan, -1),"
                    + " ',' ORDER BY relname) FROM pg_stat_user_tables WHERE relname IN ('tmp_import_2019',"
                    + " 'legacy_promo_codes', 'backup_users_20200101', 'old_kyc_audit_2018')")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    static String scale(String uri) throws SQLException {
        try (Connection c = connect(uri); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()")) {
            rs.next();
            Matcher m = Pattern.compile("scale=([0-9.]+)").matcher(String.valueOf(rs.getString(1)));
            return m.find() ? m.group(1) : null;
        }
    }

    static Connection connect(String uri) throws SQLException {
        var parsed = io.tributary.connect.ConnectionUri.parse(uri, "demo");
        return DriverManager.getConnection(parsed.jdbcUrl(), parsed.properties("tributary tests"));
    }

    static JsonNode expectedAt(String scale) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("tributary.repo.dir", ".."), "scripts", "sample_data", "expected.py");
        Process p = new ProcessBuilder("python3", script.toString(), "--scale", scale).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "expected.py failed");
        return new ObjectMapper().readTree(out);
    }
}
