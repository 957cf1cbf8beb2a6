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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two scratch databases standing in for two instances, with planted collisions: ids 1..n on both sides,
 * e-mails shared exactly by every 7th user, and equal only case-insensitively for every 150th (never one of the exact ones).
 */
@RequiresPostgres
class ConflictsFindKeyOverlapAndDuplicateEmailsTest {
    static final int N_A = 3000;
    static final int N_B = 2000;
    @TempDir
    static Path dir;
    static ScratchDatabase a;
    static ScratchDatabase b;
    static Map<String, String> env;
    static Path config;
    static JsonNode doc;

    @BeforeAll
    static void plantCollisions() throws IOException {
        // Built in templates, then copied: the copies' usage counters start at zero (index builds count as scans).
        ScratchDatabase ta = TestPostgres.createDatabase("conflicts_a_tpl");
        ScratchDatabase tb = TestPostgres.createDatabase("conflicts_b_tpl");
        String users = "CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE,"
                + " full_name text, updated_at timestamptz NOT NULL DEFAULT now())";
        String trades = "CREATE TABLE public.trades (id bigint PRIMARY KEY, user_id bigint REFERENCES public.users(id))";
        ta.execute(users, trades,
                "INSERT INTO public.users (id, email) SELECT g, 'user' || g || '@a.example' FROM generate_series(1, " + N_A + ") g",
                // ids with gaps: 2, 4, 6, ... so only even ids collide
                "INSERT INTO public.trades SELECT 2 * g, 1 FROM generate_series(1, 1000) g",
                "CREATE TABLE public.old_codes (code text PRIMARY KEY)",
                "INSERT INTO public.old_codes SELECT 'X' || g FROM generate_series(1, 10) g",
                "ANALYZE");
        // B's user j: same e-mail as A's user j*3 when j % 7 = 0; the same e-mail in upper case when j % 150 = 25 (3j+1 and j+1 never meet).
        tb.execute(users, trades,
                "INSERT INTO public.users (id, email) SELECT j, CASE WHEN j % 7 = 0 THEN 'user' || (j * 3 % " + N_A
                        + " + 1) || '@a.example' WHEN j % 150 = 25 THEN 'USER' || (j + 1) || '@A.example'"
                        + " ELSE 'b' || j || '@b.example' END FROM generate_series(1, " + N_B + ") j",
                "INSERT INTO public.trades SELECT g, 1 FROM generate_series(1, 1500) g",
                "CREATE TABLE public.old_codes (code text PRIMARY KEY)",
                "INSERT INTO public.old_codes SELECT 'X' || g FROM generate_series(1, 10) g",
                "ANALYZE");
        try {
            a = TestPostgres.createDatabase("conflicts_a", ta);
            b = TestPostgres.createDatabase("conflicts_b", tb);
        } finally {
            ta.close();
            tb.close();
        }
        a.execute("ANALYZE");
        b.execute("ANALYZE");
        // users and trades are in use; old_codes never read
        for (ScratchDatabase db : List.of(a, b)) {
            Discovery.executeAndFlush(db, "SELECT count(*) FROM public.users", "SELECT count(*) FROM public.trades");
        }
        env = Map.of("TRIBUTARY_CONN_SRC_A", a.uri(), "TRIBUTARY_CONN_SRC_B", b.uri());
        Discovery.discover(env, "src_a", dir);
        Discovery.discover(env, "src_b", dir);
        config = dir.resolve("migration.yaml");
        Files.writeString(config, """
                version: 1
                control: {connection: consolidated}
                sources: [{id: src_a}, {id: src_b}]
                targets: {consolidated: {connection: consolidated}}
                defaults: {conflict_strategy: source-wins}
                tables:
                  - match: "*.public.trades"
                    conflict_strategy: manual
                """);
        doc = conflicts();
    }

    static JsonNode conflicts(String... extra) {
        String out = dir.resolve("conflicts-" + extra.length + ".json").toString();
        List<String> args = new java.util.ArrayList<>(List.of("conflicts", "--config", config.toString(),
                "--inventory", dir.resolve("inventory-src_a.json").toString(),
                "--inventory", dir.resolve("inventory-src_b.json").toString(), "--output", out));
        args.addAll(List.of(extra));
        CliRun run = CliRun.run(env, args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.toString());
        return Discovery.read(Path.of(out));
    }

    @AfterAll
    static void drop() {
        try {
            if (a != null) {
                a.close();
            }
        } finally {
            if (b != null) {
                b.close();
            }
        }
    }

    static JsonNode only(JsonNode doc, String kind, String table) {
        List<JsonNode> found = Discovery.conflicts(doc, kind, table);
        assertEquals(1, found.size(), kind + " " + table + " in " + doc.toPrettyString());
        return found.get(0);
    }

    @Test
    void surrogateKeysThatCollideAreCountedExactly() {
        JsonNode users = only(doc, "key_overlap", "public.users");
        assertEquals(N_B, users.get("count").asLong(), "every id of B exists in A");
        assertEquals("[1,2,3,4,5]", users.get("sample").toString());
        JsonNode r = users.get("resolution");
        assertEquals("key-remapping", r.get("strategy").asText());
        assertEquals(0, r.get("offsets").get("src_a").asLong());
        assertEquals(100000, r.get("offsets").get("src_b").asLong());
        assertEquals("[\"public.trades(user_id)\"]", r.get("rewrite_foreign_keys").toString());
        // trades: A has 2..2000 even, B 1..1500: the even ids up to 1500 collide
        assertEquals(750, only(doc, "key_overlap", "public.trades").get("count").asLong());
    }

    @Test
    void duplicateEmailsAreCountedWithAStrategy() {
        JsonNode exact = only(doc, "duplicate_natural_key", "public.users");
        assertEquals(N_B / 7, exact.get("count").asLong());
        assertEquals("[\"email\"]", exact.get("detail").get("columns").toString());
        JsonNode sample = exact.get("sample");
        assertEquals(5, sample.size());
        JsonNode first = sample.get(0);
        assertTrue(first.get("key").asText().endsWith("@a.example"), first.toString());
        assertTrue(first.get("primary_keys").has("src_a") && first.get("primary_keys").has("src_b"), first.toString());
        JsonNode resolution = exact.get("resolution");
        assertEquals("last-write-wins", resolution.get("strategy").asText(), "users has updated_at");
        assertEquals("updated_at", resolution.get("column").asText());
        assertEquals("source-wins: src_a", resolution.get("tie_break").asText());
        assertEquals("tables[match=*.public.users].conflict_strategy", exact.get("overridable_by").asText());
    }

    @Test
    void emailsEqualOnlyCaseInsensitivelyAreCountedApart() {
        JsonNode ci = only(doc, "duplicate_natural_key_case_insensitive", "public.users");
        long expected = java.util.stream.IntStream.rangeClosed(1, N_B).filter(j -> j % 7 != 0 && j % 150 == 25).count();
        assertEquals(expected, ci.get("count").asLong());
        assertTrue(ci.get("sample").get(0).get("key").asText().matches("user\\d+@a\\.example"), ci.get("sample").toString());
        assertTrue(ci.get("sample").get(0).get("primary_keys").get("src_b").toString().contains("USER"),
                ci.get("sample").toString());
    }

    @Test
    void unusedTablesAreNotReadUnlessAsked() {
        JsonNode codes = only(doc, "duplicate_natural_key", "public.old_codes");
        assertTrue(codes.get("count").isNull());
        assertTrue(codes.get("detail").get("not_counted").asText().contains("no scans"));
        assertEquals("source-wins", codes.get("resolution").get("strategy").asText(), "defaults.conflict_strategy");
        assertEquals("0|0", Discovery.scans(a, "public.old_codes"), "conflicts did not read it");

        JsonNode counted = conflicts("--read-unused");
        assertEquals(10, only(counted, "duplicate_natural_key", "public.old_codes").get("count").asLong());
    }

    @Test
    void configOverrideWinsOverTheUpdatedAtRule() {
        // trades has no natural key, so the override shows on a strategy lookup through the engine
        JsonNode trades = only(doc, "key_overlap", "public.trades");
        assertEquals("tables[match=*.public.trades].key_remapping", trades.get("overridable_by").asText());
        ConflictStrategies strategies = new ConflictStrategies(
                new io.tributary.config.MigrationConfigLoader().load(config));
        JsonNode r = strategies.resolve(List.of("src_a", "src_b"), "public.trades", List.of(List.of("id", "updated_at")));
        assertEquals("manual", r.get("strategy").asText());
        assertTrue(r.get("chosen_by").asText().startsWith("migration.yaml tables[0]"), r.toString());
    }
}
