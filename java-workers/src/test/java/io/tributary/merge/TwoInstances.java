package io.tributary.merge;

import io.tributary.testing.CliRun;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two instances of one trading application (src_eu, src_us) with colliding ids and one customer on both
 * (same e-mail), a consolidated database, and a migration.yaml with the given tables[] rules.
 */
final class TwoInstances implements AutoCloseable {
    static final String SCHEMA = """
            CREATE TYPE public.user_status AS ENUM ('active', 'closed');
            CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, full_name text,
                status public.user_status NOT NULL DEFAULT 'active', updated_at timestamptz NOT NULL);
            CREATE TABLE public.strategies (id integer PRIMARY KEY, code text NOT NULL UNIQUE,
                owner_user_id bigint REFERENCES public.users (id));
            CREATE TABLE public.trades (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES public.users (id),
                strategy_id integer REFERENCES public.strategies (id), qty numeric(18,4) NOT NULL);
            """;

    final ScratchDatabase eu;
    final ScratchDatabase us;
    final ScratchDatabase target;
    final Path config;
    final Map<String, String> env = new HashMap<>();

    TwoInstances(String purpose, Path dir, String tableRules) {
        List<ScratchDatabase> made = new ArrayList<>();
        try {
            made.add(TestPostgres.createDatabase(purpose + "_eu"));
            made.add(TestPostgres.createDatabase(purpose + "_us"));
            made.add(TestPostgres.createDatabase(purpose + "_dst"));
        } catch (RuntimeException e) {
            made.forEach(ScratchDatabase::close);
            throw e;
        }
        eu = made.get(0);
        us = made.get(1);
        target = made.get(2);
        eu.execute(SCHEMA,
                // EU: anna (id 1, older), bob (2), carl (3); strategies 1..2; 6 trades
                "INSERT INTO public.users VALUES (1, 'anna@x.example', 'Anna EU', 'active', '2024-01-01 10:00+00'),"
                        + " (2, 'bob@x.example', 'Bob', 'active', '2024-01-01 10:00+00'),"
                        + " (3, 'carl@x.example', 'Carl', 'closed', '2024-03-01 10:00+00')",
                "INSERT INTO public.strategies VALUES (1, 'momentum', 1), (2, 'carry', NULL)",
                "INSERT INTO public.trades SELECT g, 1 + g % 3, 1 + g % 2, g * 1.5 FROM generate_series(1, 6) g");
        us.execute(SCHEMA,
                // US: anna again under id 2 (newer), dora (1), emil (3); strategies 1 (momentum again), 2; 5 trades
                "INSERT INTO public.users VALUES (1, 'dora@x.example', 'Dora', 'active', '2024-02-01 10:00+00'),"
                        + " (2, 'anna@x.example', 'Anna US', 'closed', '2024-06-01 10:00+00'),"
                        + " (3, 'emil@x.example', 'Emil', 'active', '2024-02-01 10:00+00')",
                "INSERT INTO public.strategies VALUES (1, 'momentum', 2), (2, 'value', 3)",
                "INSERT INTO public.trades SELECT g, 1 + g % 3, 1 + g % 2, g * 2.25 FROM generate_series(1, 5) g");
        config = dir.resolve("migration.yaml");
        try {
            Files.writeString(config, """
                    version: 1
                    control: {connection: consolidated, schema: tributary}
                    sources:
                      - id: src_eu
                      - id: src_us
                    targets:
                      consolidated: {connection: consolidated}
                    """ + tableRules);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.put("TRIBUTARY_CONN_SRC_EU", eu.uri());
        env.put("TRIBUTARY_CONN_SRC_US", us.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    static final List<String> TABLES = List.of("public.users", "public.strategies", "public.trades");

    /** What resolve and consolidate take; a test that adds tables to both instances appends them (parents first). */
    final List<String> tables = new ArrayList<>(TABLES);

    CliRun resolve(String... extra) {
        List<String> args = new ArrayList<>(List.of("resolve", "--config=" + config, "--run-id", "junit"));
        for (String source : List.of("src_eu", "src_us")) {
            for (String t : tables) {
                args.add("--table");
                args.add(source + ":" + t);
            }
        }
        args.addAll(List.of(extra));
        return CliRun.run(env, args.toArray(String[]::new));
    }

    CliRun copy(String source, String table, String... extra) {
        List<String> args = new ArrayList<>(List.of("copy", "--config=" + config, "--source", source, "--table", table,
                "--run-id", "junit"));
        args.addAll(List.of(extra));
        return CliRun.run(env, args.toArray(String[]::new));
    }

    /** resolve, then copy all six source tables; fails loudly on any non-zero exit. */
    CliRun consolidate() {
        CliRun resolved = resolve();
        if (resolved.exitCode() != 0) {
            throw new AssertionError("resolve failed: " + resolved);
        }
        for (String source : List.of("src_us", "src_eu")) { // the order of copies must not matter
            for (String t : tables) {
                CliRun c = copy(source, t);
                if (c.exitCode() != 0) {
                    throw new AssertionError("copy " + source + " " + t + " failed: " + c);
                }
            }
        }
        return resolved;
    }

    /** Adds the real foreign keys to the target: fails if any reference dangles. */
    void addForeignKeys() {
        target.execute(
                "ALTER TABLE public.trades ADD FOREIGN KEY (user_id) REFERENCES public.users (id)",
                "ALTER TABLE public.trades ADD FOREIGN KEY (strategy_id) REFERENCES public.strategies (id)",
                "ALTER TABLE public.strategies ADD FOREIGN KEY (owner_user_id) REFERENCES public.users (id)",
                "ALTER TABLE public.users ADD UNIQUE (email)",
                "ALTER TABLE public.strategies ADD UNIQUE (code)");
    }

    @Override
    public void close() {
        for (ScratchDatabase db : List.of(eu, us, target)) {
            try {
                db.close();
            } catch (RuntimeException e) {
                // keep closing the others
            }
        }
    }
}
