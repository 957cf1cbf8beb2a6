package io.tributary.conflicts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.discover.InventoryJson;
import io.tributary.testing.CliRun;
import io.tributary.testing.Discovery;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instances are grouped into applications by how alike their schemas are, and only instances of one application
 * are compared: Pagila and a small invoicing application that also has public.customer (other columns, other
 * meaning) are two applications with no conflict between them.
 */
class ConflictsKeepUnrelatedApplicationsApartTest {
    @TempDir
    Path dir;

    private static ObjectNode inventory(String instance, String... tableColumns) {
        ObjectNode inv = InventoryJson.object();
        inv.put("instance", instance);
        var tables = inv.putArray("tables");
        for (String spec : tableColumns) { // "schema.table:col,col"
            String[] parts = spec.split(":");
            ObjectNode t = tables.addObject();
            t.put("schema", parts[0].split("\\.")[0]);
            t.put("name", parts[0].split("\\.")[1]);
            var cols = t.putArray("columns");
            for (String c : parts[1].split(",")) {
                cols.addObject().put("name", c);
            }
        }
        return inv;
    }

    private MigrationConfig config(String sources) throws Exception {
        Path file = dir.resolve("migration.yaml");
        Files.writeString(file, "version: 1\ncontrol: {connection: consolidated}\nsources:\n" + sources
                + "targets: {consolidated: {connection: consolidated}}\n");
        return new MigrationConfigLoader().load(file);
    }

    @Test
    void similarSchemasAreOneApplicationAndTheConfigNameDecidesWhenGiven() throws Exception {
        ObjectNode eu = inventory("eu", "public.users:id,email,status", "public.trades:id,user_id,qty,price");
        ObjectNode us = inventory("us", "public.users:id,email,status,region", "public.trades:id,user_id,qty,price");
        ObjectNode shop = inventory("shop", "public.users:id,login", "public.orders:id,user_id,total");
        List<ObjectNode> all = List.of(eu, us, shop);

        Applications found = Applications.of(config("  - {id: eu}\n  - {id: us}\n  - {id: shop}\n"), all);
        assertEquals(List.of(new Applications.Application("eu", List.of("eu", "us"), false),
                new Applications.Application("shop", List.of("shop"), false)), found.all());
        JsonNode pairs = found.toJson().get("similarities");
        assertEquals(0.875, pairs.get(0).get("jaccard").asDouble(), "7 of 8 triples shared: " + pairs.get(0));
        assertEquals(1, pairs.get(1).get("shared_columns").asInt(), "eu and shop share public.users.id only");

        Applications named = Applications.of(config("  - {id: eu, application: trading}\n"
                + "  - {id: us, application: trading_us}\n  - {id: shop, application: trading}\n"), all);
        assertEquals(List.of(new Applications.Application("trading", List.of("eu", "shop"), true),
                new Applications.Application("trading_us", List.of("us"), true)), named.all(),
                "the config's names win over similarity, both ways");
    }

    @Test
    void pagilaAndAnInvoicingApplicationAreTwoApplicationsWithoutConflicts() throws Exception {
        TestPostgres.uri(); // aborts (fails on CI) without a PostgreSQL
        String pagila = System.getenv("TRIBUTARY_TEST_PAGILA_URI");
        if (pagila == null || pagila.isBlank()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("TRIBUTARY_TEST_PAGILA_URI is not set");
            }
            Assumptions.abort("TRIBUTARY_TEST_PAGILA_URI is not set (run `make sources`)");
        }
        Path sql = Path.of(System.getProperty("tributary.repo.dir", ".."), "tests", "fixtures", "apps", "invoicing.sql");
        try (ScratchDatabase invoicing = TestPostgres.createDatabase("apps_invoicing")) {
            invoicing.execute(Files.readString(sql));
            Map<String, String> env = Map.of("TRIBUTARY_CONN_SRC_PAGILA", pagila,
                    "TRIBUTARY_CONN_SRC_INVOICING", invoicing.uri());
            Discovery.discover(env, "src_pagila", dir);
            JsonNode inv = Discovery.discover(env, "src_invoicing", dir);
            JsonNode contracts = Discovery.table(inv, "public.employee").get("profile").get("time_span");
            assertEquals("[\"-infinity\",\"infinity\"]", contracts.get("infinities").toString(), contracts.toString());

            Path config = dir.resolve("apps.yaml");
            Files.writeString(config, "version: 1\ncontrol: {connection: consolidated}\n"
                    + "sources: [{id: src_pagila}, {id: src_invoicing}]\ntargets: {consolidated: {connection: consolidated}}\n");
            CliRun run = CliRun.run(env, "conflicts", "--config", config.toString(),
                    "--inventory", dir.resolve("inventory-src_pagila.json").toString(),
                    "--inventory", dir.resolve("inventory-src_invoicing.json").toString(),
                    "--output", dir.resolve("conflicts.json").toString());
            assertEquals(0, run.exitCode(), run.toString());
            JsonNode doc = Discovery.read(dir.resolve("conflicts.json"));
            assertEquals(2, doc.get("applications").size(), doc.get("applications").toString());
            JsonNode pair = doc.get("similarities").get(0);
            assertTrue(pair.get("jaccard").asDouble() < Applications.SAME_APPLICATION, pair.toString());
            assertTrue(pair.get("shared_columns").asInt() < 5, "customer shares a column name or two at most: " + pair);
            assertEquals(0, doc.get("conflicts").size(), "no conflict across applications: " + doc.get("conflicts"));
        }
    }
}
