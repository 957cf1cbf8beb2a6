package io.tributary.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pagila, the real legacy schema `make sources` loads into src_pagila: schema pre-data, a copy of every table,
 * schema post-data give a target whose catalog matches the source's - tables and partitions, columns, indexes,
 * constraints (all valid), triggers, views, the materialized view - and a re-run of either phase is a no-op.
 */
@RequiresPostgres
class PagilaSchemaRoundTripTest {
    static final String VARIABLE = "TRIBUTARY_TEST_PAGILA_URI";

    @TempDir
    static Path dir;
    static ScratchDatabase target;
    static String pagila;
    static Path config;
    static final Map<String, String> env = new HashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        TestPostgres.uri();
        pagila = System.getenv(VARIABLE);
        if (pagila == null || pagila.isBlank()) {
            String message = VARIABLE + " is not set (scripts/test.sh exports the src_pagila URI; run `make sources`)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        Assumptions.assumeTrue(!"0".equals(query(pagila, "SELECT count(*) FROM pg_class WHERE oid = "
                + "to_regclass('public.film')")), "Pagila is not loaded in src_pagila: run `make sources`");
        target = TestPostgres.createDatabase("pagila_schema");
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                project: test
                control:
                  connection: consolidated
                  schema: tributary
                sources:
                  - id: src_pagila
                    description: Pagila
                targets:
                  consolidated:
                    connection: consolidated
                """);
        env.put("TRIBUTARY_CONN_SRC_PAGILA", pagila);
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    @AfterAll
    static void drop() {
        if (target != null) {
            target.close();
        }
    }

    private static CliRun schema(String phase, String... extra) {
        String[] args = new String[8 + extra.length];
        System.arraycopy(new String[] {"schema", "--config=" + config, "--phase", phase, "--source", "src_pagila",
            "--schemas", "public"}, 0, args, 0, 8);
        System.arraycopy(extra, 0, args, 8, extra.length);
        return CliRun.run(env, args);
    }

    @Test
    void preDataCopyPostDataReproducesTheSourceCatalog() throws Exception {
        CliRun dry = schema("pre-data", "--dry-run");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertTrue(dry.stdout().contains("CREATE TABLE \"public\".\"payment\""), dry.stdout());
        assertEquals("0", target.query("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"),
                "a dry run changes nothing");

        CliRun pre = schema("pre-data");
        assertEquals(0, pre.exitCode(), pre.toString());
        assertEquals("created", pre.json().get("status").asText());
        CliRun again = schema("pre-data");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("unchanged", again.json().get("status").asText(), again.toString());
        assertTrue(again.stderr().contains("nothing to do"), again.stderr());

        // Copy every top-level table (a partitioned table's rows are routed into the target's partitions).
        for (String table : query(pagila, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class"
                + " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition")
                .split(",")) {
            CliRun copy = CliRun.run(env, "copy", "--config=" + config, "--source", "src_pagila", "--table",
                    "public." + table, "--chunk-rows", "5000", "--parallelism", "2");
            assertEquals(0, copy.exitCode(), table + ": " + copy);
            assertEquals(copy.json().get("checksum").asText(), copy.json().get("target_checksum").asText());
        }

        CliRun post = schema("post-data", "--parallelism", "3");
        assertEquals(0, post.exitCode(), post.toString());
        assertEquals("created", post.json().get("status").asText());
        CliRun postAgain = schema("post-data");
        assertEquals(0, postAgain.exitCode(), postAgain.toString());
        assertEquals("unchanged", postAgain.json().get("status").asText(), postAgain.toString());

        for (Map.Entry<String, String> q : CATALOG.entrySet()) {
            assertEquals(query(pagila, q.getValue()), target.query(q.getValue()), q.getKey() + " differ");
        }
        assertEquals("0", target.query("SELECT count(*) FROM pg_constraint WHERE NOT convalidated"), "all FKs valid");
        assertTrue(Long.parseLong(target.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")) > 20);
        assertEquals("t", target.query("SELECT relispopulated FROM pg_class WHERE oid = 'public.rental_by_category'::regclass"));
        assertEquals(query(pagila, "SELECT count(*) FROM public.rental_by_category"),
                target.query("SELECT count(*) FROM public.rental_by_category"));
        // Sequences continue past the data: the next id is free.
        assertEquals(target.query("SELECT max(actor_id) + 1 FROM public.actor"),
                target.query("SELECT nextval('public.actor_actor_id_seq')"));
    }

    @Test
    void aSubsetOfTablesBringsTheRoutinesItCanAndNamesTheOnesItCannot() throws Exception {
        // What the committed config consolidates from Pagila: film and language only. rewards_report returns
        // SETOF customer, a table not built here: reported, not attempted (it failed the whole pre-data before).
        try (ScratchDatabase subset = TestPostgres.createDatabase("pagila_subset")) {
            Map<String, String> subsetEnv = new HashMap<>(env);
            subsetEnv.put("TRIBUTARY_CONN_CONSOLIDATED", subset.uri());
            CliRun pre = CliRun.run(subsetEnv, "schema", "--config=" + config, "--phase", "pre-data",
                    "--table", "src_pagila:public.language", "--table", "src_pagila:public.film");
            assertEquals(0, pre.exitCode(), pre.toString());
            assertTrue(pre.stderr().contains("skipped function (uses the row type of public.customer, not built here)"
                    + " \"public\".\"rewards_report\"(integer, numeric)"), pre.stderr());
            assertTrue(pre.json().get("skipped").toString().contains("rewards_report"), pre.toString());
            assertEquals("film,language", subset.query("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class"
                    + " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"));
            assertEquals("t", subset.query("SELECT to_regprocedure('public.film_in_stock(integer, integer)') IS NOT NULL"));
            assertEquals("f", subset.query("SELECT to_regprocedure('public.rewards_report(integer, numeric)') IS NOT NULL"));
            CliRun again = CliRun.run(subsetEnv, "schema", "--config=" + config, "--phase", "pre-data",
                    "--table", "src_pagila:public.language", "--table", "src_pagila:public.film");
            assertEquals("unchanged", again.json().get("status").asText(), again.toString());
        }
    }

    /** Objects of extensions (pg_stat_statements lives in public on src_pagila) are not the schema's own. */
    private static final String NOT_EXTENSION =
            " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')";

    /** Catalog fingerprints of schema public, compared source vs target. */
    private static final Map<String, String> CATALOG = new java.util.LinkedHashMap<>();

    static {
        CATALOG.put("relations", "SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class c"
                + " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S')" + NOT_EXTENSION);
        CATALOG.put("columns", "SELECT string_agg(c.relname || '.' || a.attname || ':' || format_type(a.atttypid,"
                + " a.atttypmod) || ':' || a.attnotnull, ',' ORDER BY c.relname, a.attnum) FROM pg_attribute a"
                + " JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = 'public'::regnamespace"
                + " AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped" + NOT_EXTENSION);
        CATALOG.put("indexes", "SELECT string_agg(pg_get_indexdef(i.indexrelid), E'\\n' ORDER BY pg_get_indexdef(i.indexrelid)) FROM pg_index i"
                + " JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = 'public'::regnamespace");
        CATALOG.put("constraints", "SELECT string_agg(conrelid::regclass || ':' || conname || ':'"
                + " || pg_get_constraintdef(oid), E'\\n' ORDER BY conrelid::regclass::text, conname) FROM pg_constraint"
                + " WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f', 'c', 'x')");
        CATALOG.put("triggers", "SELECT string_agg(pg_get_triggerdef(oid), E'\\n' ORDER BY pg_get_triggerdef(oid)) FROM pg_trigger"
                + " WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)");
        CATALOG.put("views", "SELECT string_agg(c.relname || ':' || pg_get_viewdef(c.oid), E'\\n' ORDER BY c.relname)"
                + " FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')" + NOT_EXTENSION);
        CATALOG.put("row counts", "SELECT string_agg(relname || ':' || (xpath('/row/n/text()', query_to_xml("
                + "'SELECT count(*) AS n FROM public.' || quote_ident(relname), false, true, '')))[1]::text, ','"
                + " ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')");
    }

    private static String query(String uri, String sql) throws SQLException {
        try (Connection c = TestPostgres.connect(uri); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
