package io.tributary.copy;

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
class CopyStreamsBinaryAndVerifiesTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    /** Every row rendered as text, hashed: an independent comparison, not the worker's own checksum. */
    private static final String FINGERPRINT =
            "SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM %s t";

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("copy_binary", dir);
        db.source.execute(
                "CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0)",
                """
                CREATE TABLE public.users (
                    id bigserial PRIMARY KEY,
                    email text NOT NULL,
                    name text,
                    balance numeric(12,2) DEFAULT 0,
                    doubled numeric GENERATED ALWAYS AS (balance * 2) STORED,
                    mood public.mood,
                    tags text[],
                    attrs json,
                    meta jsonb,
                    created timestamptz DEFAULT now(),
                    born date,
                    waited interval,
                    photo bytea,
                    score float8,
                    ratio real,
                    active boolean,
                    token uuid,
                    stars public.posint,
                    "Mixed Case" text,
                    "order" integer
                )""",
                """
                INSERT INTO public.users (email, name, balance, mood, tags, attrs, meta, created, born, waited, photo,
                                          score, ratio, active, token, stars, "Mixed Case", "order")
                SELECT 'u' || g || '@example.com',
                       CASE WHEN g % 10 = 0 THEN '' WHEN g % 7 = 0 THEN NULL ELSE 'Zoë ' || g END,
                       g * 1.5,
                       (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::public.mood,
                       ARRAY['a', NULL, 'b' || g],
                       ('{"b": ' || g || ',  "a": [1, 2]}')::json,
                       jsonb_build_object('k', g, 'nested', jsonb_build_object('x', g % 5)),
                       timestamptz '2024-03-31 01:30:00+02' + g * interval '17 minutes',
                       date '1970-01-01' + g,
                       make_interval(hours => g % 50, secs => g / 7.0),
                       decode(md5(g::text), 'hex'),
                       CASE WHEN g = 1 THEN 'NaN'::float8 WHEN g = 2 THEN '-Infinity'::float8 ELSE g / 3.0 END,
                       (g / 7.0)::real,
                       CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END,
                       md5(g::text)::uuid,
                       g,
                       'tab\there, "quoted", back\\slash, newline' || E'\\n' || g,
                       g
                  FROM generate_series(1, 20000) g""",
                "CREATE SCHEMA \"Sales\"",
                "CREATE TABLE \"Sales\".\"Order Lines\" (\"Line No\" int PRIMARY KEY, amount numeric(8,3))",
                "INSERT INTO \"Sales\".\"Order Lines\" SELECT g, g / 8.0 FROM generate_series(1, 500) g",
                // arrays of a user-defined enum carry a database-local OID in binary COPY
                "CREATE TABLE public.moods (id int PRIMARY KEY, history public.mood[])",
                "INSERT INTO public.moods SELECT g, ARRAY['ok', 'sad']::public.mood[] FROM generate_series(1, 50) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void copiesAllTypesVerifiesAndRecordsTheLedger() {
        CliRun run = db.copy("public.users", "--run-id", "test-run-1");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode json = run.json();
        for (String key : new String[] {"table", "rows", "checksum", "bytes", "seconds"}) {
            assertTrue(json.has(key), "contract key " + key + " missing: " + json);
        }
        assertEquals("public.users", json.get("table").asText());
        assertEquals(20000, json.get("rows").asLong());
        assertEquals("copied", json.get("status").asText());
        assertEquals("binary", json.get("format").asText());
        assertTrue(json.get("verified").asBoolean());
        assertEquals(json.get("checksum").asText(), json.get("target_checksum").asText());
        assertTrue(json.get("checksum").asText().matches("[0-9a-f]{16}"));
        assertTrue(json.get("bytes").asLong() > 1_000_000, json.toString());
        assertTrue(run.stderr().contains("copy summary"), run.stderr());

        // the data landed unchanged, by a comparison independent of the worker's checksum
        String table = "public.users";
        assertEquals(db.source.query(FINGERPRINT.formatted(table)), db.target.query(FINGERPRINT.formatted(table)));

        // the target database computes the same checksum on its own
        CliRun check = CliRun.run(db.env(), "checksum", "--conn", "consolidated", "--table", "public.users");
        assertEquals(0, check.exitCode(), check.toString());
        assertEquals(json.get("checksum").asText(), check.json().get("checksum").asText());
        assertEquals(20000, check.json().get("rows").asLong());

        // primary key added after the data; types recreated; the ledger, chunk ledger and audit log record it
        assertEquals("users_pkey", db.target.query(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'public.users'::regclass AND contype = 'p'"));
        assertEquals("{sad,ok,happy}", db.target.query("SELECT enum_range(NULL::public.mood)::text"));
        assertEquals("copied|20000|true", db.target.query("SELECT status || '|' || rows || '|' ||"
                + " (source_checksum = target_checksum)::text FROM tributary.table_status WHERE source_table = 'public.users'"));
        assertEquals("0|copied|20000", db.target.query("SELECT chunk_no || '|' || c.status || '|' || c.rows"
                + " FROM tributary.chunks c JOIN tributary.table_status t USING (table_id)"
                + " WHERE t.source_table = 'public.users'"));
        assertEquals("junit|test-run-1", db.target.query("SELECT actor || '|' || run_id FROM tributary.audit_log"
                + " WHERE action = 'copy' AND detail->>'table' = 'public.users'"));
    }

    @Test
    void quotedNamesInOtherSchemasCopy() {
        CliRun run = db.copy("Sales.Order Lines");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(500, run.json().get("rows").asLong());
        assertEquals(500, db.target.count("SELECT count(*) FROM \"Sales\".\"Order Lines\""));
    }

    @Test
    void arraysOfLocalTypesFallBackToTextCopy() {
        CliRun run = db.copy("public.moods");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("text", run.json().get("format").asText());
        assertTrue(run.json().get("verified").asBoolean());
        assertEquals("{ok,sad}", db.target.query("SELECT history::text FROM public.moods WHERE id = 1"));
    }
}
