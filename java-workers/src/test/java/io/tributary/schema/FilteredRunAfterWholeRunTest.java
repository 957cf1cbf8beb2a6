package io.tributary.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.connect.ConnectionUri;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source consolidated whole ({@code schema --whole}: pg_restore of its own pg_dump), then, after some of its rows
 * changed, a run that selects only a few of its tables, as the consolidate DAG makes it for a table_filter: the
 * table-by-table builder ({@code schema --table}) and {@code copy --truncate}. The builder must take what pg_restore
 * made as there: no second primary key, unique index or constraint under another name, no error on an existing
 * object, and the target's {@code pg_dump --schema-only} unchanged; the rows are the source's again, verified.
 *
 * <p>The source holds what the restore keeps and a builder could get wrong: constraint and index names of its own
 * (a primary key not named {@code _pkey}), a serial column owning its sequence, defaults, an identity column, a
 * generated column, a partitioned table, an inheritance parent and child, an exclusion constraint, a NOT VALID check,
 * a trigger, comments, a view, a foreign key, and pgcopydb's odd names (dots, spaces, capitals, a newline).
 */
@RequiresPostgres
class FilteredRunAfterWholeRunTest {
    @TempDir
    static Path dir;
    static ScratchDatabase source;
    static ScratchDatabase target;
    static Path config;
    static final Map<String, String> env = new HashMap<>();

    /** The filtered run's tables, named as the DAG names them. */
    static final List<String> FILTERED = List.of("app.orders", "app.orders_lines", "app.parent_model", "app.child_model", "app.events",
            "\"Sp1eCial .Char\".source1testing",
            "\"Sp1eCial .Char\".\"Tabl e.1testing\"", "app.\"with MyTableName\n  AS (SELECT row_id\"");

    @BeforeAll
    static void setUp() throws Exception {
        source = TestPostgres.createDatabase("filtered_src");
        target = TestPostgres.createDatabase("filtered_dst");
        source.execute("CREATE SCHEMA app",
                "CREATE TABLE app.parent_model (id int NOT NULL, a int NOT NULL,"
                        + " CONSTRAINT pk_parent_model PRIMARY KEY (id))",
                "CREATE TABLE app.child_model (c text, CONSTRAINT pk_child_model PRIMARY KEY (id)) INHERITS (app.parent_model)",
                "CREATE TABLE app.orders (id serial CONSTRAINT id PRIMARY KEY, code text NOT NULL DEFAULT md5('x'),"
                        + " placed date NOT NULL DEFAULT '2024-01-01', note text,"
                        + " CONSTRAINT orders_code_once UNIQUE (code))",
                "ALTER TABLE app.orders ADD CONSTRAINT orders_code_short CHECK (length(code) < 40) NOT VALID",
                "CREATE INDEX orders_by_day ON app.orders (placed)",
                "COMMENT ON TABLE app.orders IS 'kept by the restore'",
                "COMMENT ON COLUMN app.orders.note IS 'free text'",
                "CREATE FUNCTION app.noted() RETURNS trigger LANGUAGE plpgsql AS"
                        + " $$BEGIN NEW.note := coalesce(NEW.note, 'noted'); RETURN NEW; END$$",
                "CREATE TRIGGER orders_noted BEFORE INSERT ON app.orders FOR EACH ROW EXECUTE FUNCTION app.noted()",
                "CREATE TABLE app.orders_lines (id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT lines_own_pk PRIMARY KEY,"
                        + " order_id int NOT NULL CONSTRAINT lines_of_orders REFERENCES app.orders (id),"
                        + " qty int NOT NULL, doubled int GENERATED ALWAYS AS (qty * 2) STORED)",
                "CREATE UNIQUE INDEX lines_once_per_order ON app.orders_lines (order_id, qty)",
                "CREATE TABLE app.events (id int NOT NULL, at date NOT NULL, CONSTRAINT events_own_pk PRIMARY KEY (id, at))"
                        + " PARTITION BY RANGE (at)",
                "CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "CREATE TABLE app.exclcon (a int, b int, CONSTRAINT constraint_fail_idx EXCLUDE USING btree (a WITH =))",
                "CREATE VIEW app.order_sizes AS SELECT o.id, sum(l.qty) AS qty FROM app.orders o"
                        + " JOIN app.orders_lines l ON l.order_id = o.id GROUP BY o.id",
                "CREATE TABLE app.\"with MyTableName\n  AS (SELECT row_id\" (row_id uuid NOT NULL PRIMARY KEY)",
                "CREATE SCHEMA \"Sp1eCial .Char\"",
                "CREATE TABLE \"Sp1eCial .Char\".\"source1testing\" (\"s0\" int PRIMARY KEY, \"s1\" int NOT NULL)",
                "CREATE TABLE \"Sp1eCial .Char\".\"Tabl e.1testing\" (\"iD\" int PRIMARY KEY, \"nA M.e\" varchar(20) NOT NULL,"
                        + " CONSTRAINT \"Tabl e_fk_1_testing\" FOREIGN KEY (\"iD\") REFERENCES \"Sp1eCial .Char\".\"source1testing\" (\"s0\"))",
                "INSERT INTO app.parent_model VALUES (1, 1)",
                "INSERT INTO app.child_model SELECT g, g, 'c' || g FROM generate_series(100, 120) g",
                "INSERT INTO app.orders (code) SELECT md5(g::text) FROM generate_series(1, 30) g",
                "INSERT INTO app.orders_lines (order_id, qty) SELECT g, g FROM generate_series(1, 30) g",
                "INSERT INTO app.events SELECT g, date '2024-06-01' + g FROM generate_series(1, 300) g",
                "INSERT INTO app.exclcon VALUES (1, 2), (3, 4)",
                "INSERT INTO app.\"with MyTableName\n  AS (SELECT row_id\" SELECT md5(g::text)::uuid FROM generate_series(1, 5) g",
                "INSERT INTO \"Sp1eCial .Char\".\"source1testing\" SELECT g, g * 2 FROM generate_series(1, 50) g",
                "INSERT INTO \"Sp1eCial .Char\".\"Tabl e.1testing\" SELECT g, 'Name ' || g FROM generate_series(1, 40) g");
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                project: test
                control:
                  connection: consolidated
                  schema: tributary
                sources:
                  - id: app_src
                targets:
                  consolidated:
                    connection: consolidated
                """);
        env.put("TRIBUTARY_CONN_APP_SRC", source.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    @AfterAll
    static void drop() {
        for (ScratchDatabase db : new ScratchDatabase[] {source, target}) {
            if (db != null) {
                db.close();
            }
        }
    }

    private static CliRun run(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = args[0];
        full[1] = "--config=" + config;
        System.arraycopy(args, 1, full, 2, args.length - 1);
        return CliRun.run(env, full);
    }

    private static void copy(String table, String... more) {
        List<String> args = new ArrayList<>(List.of("copy", "--source", "app_src", "--table", table));
        args.addAll(Arrays.asList(more));
        CliRun c = run(args.toArray(String[]::new));
        assertEquals(0, c.exitCode(), table + ": " + c);
        assertTrue(c.json().get("verified").asBoolean(), table + ": " + c);
    }

    @Test
    void aFilteredRunTakesTheRestoredSchemaAsItIs() throws Exception {
        CliRun pre = run("schema", "--phase", "pre-data", "--whole", "--source", "app_src");
        assertEquals(0, pre.exitCode(), pre.toString());
        for (String table : List.of("app.parent_model", "app.child_model", "app.orders", "app.orders_lines",
                "app.events", "app.exclcon", "app.\"with MyTableName\n  AS (SELECT row_id\"",
                "\"Sp1eCial .Char\".source1testing", "\"Sp1eCial .Char\".\"Tabl e.1testing\"")) {
            copy(table);
        }
        CliRun post = run("schema", "--phase", "post-data", "--whole", "--source", "app_src");
        assertEquals(0, post.exitCode(), post.toString());
        List<String> restored = schemaOf(target);
        assertEquals(schemaOf(source), restored, "the whole run restores the source's schema");

        source.execute("UPDATE app.child_model SET c = c || ' changed' WHERE id < 110",
                "INSERT INTO app.child_model VALUES (200, 2, 'new')",
                "INSERT INTO app.orders (code, note) VALUES ('new', NULL)",
                "UPDATE app.orders SET note = 'changed' WHERE id % 4 = 0",
                "INSERT INTO app.orders_lines (order_id, qty) VALUES (1, 100), (2, 200)",
                "UPDATE \"Sp1eCial .Char\".source1testing SET s1 = -s1 WHERE s0 < 5",
                "DELETE FROM app.events WHERE id < 10",
                "INSERT INTO app.events VALUES (1000, '2025-03-01')",
                "UPDATE \"Sp1eCial .Char\".\"Tabl e.1testing\" SET \"nA M.e\" = 'Renamed' WHERE \"iD\" % 3 = 0",
                "INSERT INTO app.\"with MyTableName\n  AS (SELECT row_id\" VALUES ('00000000-0000-0000-0000-000000000001')");

        // The filtered run, as the DAG makes it (whole_sources: not every table selected, so table by table).
        List<String> specs = new ArrayList<>();
        for (String t : FILTERED) {
            specs.add("--table");
            specs.add("app_src:" + t + "=" + t);
        }
        CliRun filteredPre = run(concat(List.of("schema", "--phase", "pre-data"), specs));
        assertEquals(0, filteredPre.exitCode(), filteredPre.toString());
        assertEquals("unchanged", filteredPre.json().get("status").asText(), filteredPre.toString());
        // PostgreSQL refuses to TRUNCATE a table other tables' foreign keys reference: exit 2 naming them, nothing
        // changed; the fix the message gives (drop them, copy, post-data re-creates them) then works.
        String before = rowsOf(target, "app.orders");
        for (String[] referenced : new String[][] {{"app.orders", "app.orders_lines.\"lines_of_orders\""},
                {"\"Sp1eCial .Char\".source1testing", "\"Sp1eCial .Char\".\"Tabl e.1testing\".\"Tabl e_fk_1_testing\""}}) {
            CliRun refused = run("copy", "--source", "app_src", "--table", referenced[0], "--truncate");
            assertEquals(2, refused.exitCode(), refused.toString());
            String error = refused.json().get("error").asText();
            assertTrue(error.contains("--truncate cannot empty " + referenced[0]) && error.contains(referenced[1]),
                    refused.toString());
        }
        assertEquals(before, rowsOf(target, "app.orders"), "nothing changed");
        target.execute("ALTER TABLE app.orders_lines DROP CONSTRAINT lines_of_orders",
                "ALTER TABLE \"Sp1eCial .Char\".\"Tabl e.1testing\" DROP CONSTRAINT \"Tabl e_fk_1_testing\"");
        for (String table : FILTERED) {
            copy(table, "--truncate");
        }
        CliRun filteredPost = run(concat(List.of("schema", "--phase", "post-data"), specs));
        assertEquals(0, filteredPost.exitCode(), filteredPost.toString());

        assertEquals(restored, schemaOf(target), "the filtered run changes no object the restore made");
        for (String rel : List.of("app.orders", "\"Sp1eCial .Char\".source1testing", "app.parent_model", "app.child_model", "app.orders_lines", "app.events_2024",
                "app.events_2025", "\"Sp1eCial .Char\".\"Tabl e.1testing\"",
                "app.\"with MyTableName\n  AS (SELECT row_id\"")) {
            assertEquals(rowsOf(source, rel), rowsOf(target, rel), rel + ": the source's rows");
        }
        assertEquals("1", target.query("SELECT count(*) FROM pg_constraint WHERE conrelid = 'app.orders_lines'::regclass"
                + " AND contype = 'p'"));
        assertEquals("2", target.query("SELECT count(*) FROM pg_index WHERE indrelid = 'app.orders_lines'::regclass"));
    }

    private static String[] concat(List<String> head, List<String> tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(tail);
        return all.toArray(String[]::new);
    }

    /** The rows of ONLY one relation, as sorted COPY text: independent of the project's checksum. */
    private static String rowsOf(ScratchDatabase db, String relation) throws Exception {
        List<String> lines = new ArrayList<>();
        try (var c = db.connect(); var st = c.createStatement();
                var rs = st.executeQuery("SELECT t::text FROM ONLY " + relation + " t")) {
            while (rs.next()) {
                lines.add(rs.getString(1));
            }
        }
        return lines.stream().sorted().collect(Collectors.joining("\n"));
    }

    /** Sorted {@code pg_dump --schema-only} without the control schema (connection from libpq's environment). */
    private static List<String> schemaOf(ScratchDatabase db) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("pg_dump", "--schema-only", "--exclude-schema=tributary",
                "--restrict-key=tributaryfiltered").redirectErrorStream(false);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment().putAll(ConnectionUri.parse(db.uri(), "test").libpqEnvironment());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        return out.lines().sorted().toList();
    }
}
