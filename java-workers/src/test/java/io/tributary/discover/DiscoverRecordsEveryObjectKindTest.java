package io.tributary.discover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresPostgres
class DiscoverRecordsEveryObjectKindTest {
    @TempDir
    static Path dir;
    static ScratchDatabase db;
    static JsonNode inventory;
    static CliRun run;

    @BeforeAll
    static void createEveryKind() {
        db = TestPostgres.createDatabase("discover_kinds");
        db.execute(
                "CREATE SCHEMA shop",
                "CREATE TYPE shop.order_side AS ENUM ('buy', 'sell')",
                "CREATE DOMAIN public.\"bıgınt\" AS bigint",
                "CREATE DOMAIN shop.year AS integer CHECK (VALUE >= 1901 AND VALUE <= 2155)",
                "CREATE TABLE shop.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                        + " email text NOT NULL UNIQUE, points \"bıgınt\", born shop.year,"
                        + " email_lower text GENERATED ALWAYS AS (lower(email)) STORED,"
                        + " created_at timestamptz NOT NULL DEFAULT now())",
                "CREATE SEQUENCE shop.order_no_seq",
                "CREATE TABLE shop.orders (id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES shop.users(id),"
                        + " side shop.order_side NOT NULL, qty numeric(18,4), placed_at timestamptz NOT NULL,"
                        + " order_no bigint DEFAULT nextval('shop.order_no_seq'))",
                "CREATE INDEX orders_placed_at_idx ON shop.orders (placed_at)",
                "CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
                "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch()",
                "CREATE TABLE shop.events (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at))"
                        + " PARTITION BY RANGE (at)",
                "CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                "CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE qty > 100",
                "CREATE SCHEMA \"scratch pad\"",
                "CREATE TABLE \"scratch pad\".tmp (id int)",
                "CREATE MATERIALIZED VIEW shop.order_totals AS SELECT user_id, sum(qty) AS qty FROM shop.orders GROUP BY 1",
                "INSERT INTO shop.users (email, points, born) SELECT 'u' || g || '@shop.example', g, 1980 FROM generate_series(1, 50) g",
                "INSERT INTO shop.orders (user_id, side, qty, placed_at) SELECT 1 + g % 50, 'buy', g, '2026-01-01'::timestamptz"
                        + " + g * interval '1 hour' FROM generate_series(1, 500) g",
                "ANALYZE");
        Map<String, String> env = Map.of("TRIBUTARY_CONN_SCRATCH", db.uri());
        run = CliRun.run(env, "discover", "--conn", "scratch", "--output", dir.resolve("inv.json").toString(),
                "--exclude-schema", "scratch pad", "--exclude-schema", "not_there");
        inventory = Discovery.read(dir.resolve("inv.json"));
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void anExcludedSchemaIsNeverInventoried() {
        assertNull(Discovery.table(inventory, "\"scratch pad\".tmp"));
        assertFalse(inventory.get("schemas").toString().contains("scratch pad"), inventory.get("schemas").toString());
        assertEquals("[\"scratch pad\",\"not_there\"]", inventory.get("excluded_schemas").toString());
    }

    @Test
    void resultLineIsASummaryNotTheInventory() {
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode result = run.json();
        assertEquals("scratch", result.get("instance").asText());
        assertEquals(3, result.get("tables").asInt(), "users, orders, events (partition not counted)");
        assertEquals(2, result.get("views").asInt());
        assertTrue(result.get("bytes").asLong() > 1000);
        assertTrue(result.has("seconds") && result.has("output"));
        assertFalse(result.has("schemas"), "the inventory itself stays out of XCom");
    }

    @Test
    void headerSchemasTypesAndSequences() {
        assertEquals(1, inventory.get("format").asInt());
        assertEquals(db.name(), inventory.get("database").asText());
        assertTrue(inventory.get("scanned_at").asText().startsWith("20"));
        assertTrue(inventory.has("stats_reset"));
        assertEquals("[\"public\",\"shop\"]", inventory.get("schemas").toString());
        assertEquals("[\"buy\",\"sell\"]", find(inventory.get("enums"), "order_side").get("labels").toString());
        JsonNode domain = find(inventory.get("domains"), "bıgınt");
        assertNotNull(domain, "a domain with a non-ASCII name, as in Pagila");
        assertEquals("bigint", domain.get("base_type").asText());
        assertEquals(1, find(inventory.get("domains"), "year").get("checks").size());
        JsonNode serial = find(inventory.get("sequences"), "orders_id_seq");
        assertEquals("shop.orders.id", serial.get("owned_by").asText());
        assertEquals(500, serial.get("last_value").asLong());
        assertTrue(find(inventory.get("sequences"), "users_id_seq").get("identity").asBoolean());
        assertTrue(find(inventory.get("sequences"), "order_no_seq").get("owned_by").isNull());
    }

    @Test
    void viewsAndMaterializedViewsAreRecordedNotTables() {
        assertFalse(find(inventory.get("views"), "big_orders").get("materialized").asBoolean());
        JsonNode mv = find(inventory.get("views"), "order_totals");
        assertTrue(mv.get("materialized").asBoolean());
        assertTrue(mv.get("definition").asText().contains("sum("));
        assertNull(Discovery.table(inventory, "shop.big_orders"));
        assertNull(Discovery.table(inventory, "shop.order_totals"));
    }

    @Test
    void columnsCarryTypeNullabilityDefaultIdentityAndGenerated() {
        JsonNode users = Discovery.table(inventory, "shop.users");
        JsonNode id = column(users, "id");
        assertEquals("bigint", id.get("type").asText());
        assertEquals("always", id.get("identity").asText());
        assertTrue(id.get("default").isNull());
        JsonNode generated = column(users, "email_lower");
        assertEquals("lower(email)", generated.get("generated").asText());
        assertEquals("public.\"bıgınt\"", column(users, "points").get("type").asText());
        assertEquals("shop.year", column(users, "born").get("type").asText());
        assertFalse(column(users, "email").get("nullable").asBoolean());
        assertEquals("now()", column(users, "created_at").get("default").asText());
        JsonNode orders = Discovery.table(inventory, "shop.orders");
        assertEquals("shop.order_side", column(orders, "side").get("type").asText());
        assertEquals("numeric(18,4)", column(orders, "qty").get("type").asText());
        assertTrue(column(orders, "id").get("default").asText().startsWith("nextval("));
    }

    @Test
    void keysForeignKeysIndexesAndTriggers() {
        JsonNode users = Discovery.table(inventory, "shop.users");
        JsonNode orders = Discovery.table(inventory, "shop.orders");
        assertEquals("[\"id\"]", users.get("primary_key").toString());
        assertEquals("[[\"email\"]]", users.get("unique_keys").toString());
        JsonNode fk = orders.get("foreign_keys").get(0);
        assertEquals("[\"user_id\"]", fk.get("columns").toString());
        assertEquals("shop", fk.get("ref_schema").asText());
        assertEquals("users", fk.get("ref_table").asText());
        assertEquals("[\"id\"]", fk.get("ref_columns").toString());
        JsonNode ref = users.get("referenced_by").get(0);
        assertEquals("orders", ref.get("table").asText());
        assertEquals("[\"user_id\"]", ref.get("columns").toString());
        assertTrue(orders.get("indexes").toString().contains("CREATE INDEX orders_placed_at_idx ON shop.orders USING btree (placed_at)"));
        assertEquals("orders_touch", orders.get("triggers").get(0).get("name").asText());
    }

    @Test
    void sizesProfileTimeSpanAndKeyRange() {
        JsonNode orders = Discovery.table(inventory, "shop.orders");
        assertEquals(500, orders.get("size").get("rows_estimate").asLong());
        assertTrue(orders.get("size").get("rows_exact").isNull(), "no count(*) unless --exact-counts");
        assertTrue(orders.get("size").get("total_bytes").asLong() > 0);
        assertEquals(0.0, orders.get("profile").get("columns").get("qty").get("null_frac").asDouble());
        JsonNode span = orders.get("profile").get("time_span");
        assertEquals("placed_at", span.get("column").asText());
        assertTrue(span.get("min").asText().startsWith("2026-01-01T01:00:00"), span.toString());
        assertTrue(span.get("max").asText().startsWith("2026-01-21T20:00:00"), span.toString());
        JsonNode key = orders.get("profile").get("key_range");
        assertEquals("id", key.get("column").asText());
        assertEquals(1, key.get("min").asLong());
        assertEquals(500, key.get("max").asLong());
        assertTrue(orders.get("usage").has("seq_scan"));
        assertTrue(orders.get("usage").has("statement_calls"));
    }

    @Test
    void exactCountsOnlyWhenAsked() {
        JsonNode exact = Discovery.discover(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), "scratch", dir, "--exact-counts",
                "--schemas", "shop");
        assertEquals(50, Discovery.table(exact, "shop.users").get("size").get("rows_exact").asLong());
        assertEquals("[\"shop\"]", exact.get("schemas").toString());
    }

    @Test
    void unknownSchemaIsBadInput() {
        CliRun bad = CliRun.run(Map.of("TRIBUTARY_CONN_SCRATCH", db.uri()), "discover", "--conn", "scratch",
                "--schemas", "nope", "--output", dir.resolve("x.json").toString());
        assertEquals(2, bad.exitCode(), bad.toString());
    }

    static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.get("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError(name + " not in " + list);
    }

    static JsonNode column(JsonNode table, String name) {
        return find(table.get("columns"), name);
    }
}
