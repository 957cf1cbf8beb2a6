package io.tributary.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One-to-many: a monolith's tables shared out over two service databases by consolidate.split. */
@RequiresPostgres
class SplitSendsEachTableToItsOwnerTest {
    @TempDir
    Path dir;

    @Test
    void eachTableLandsInItsOwnerOnlyAndCutReferencesAreReported() throws Exception {
        ScratchDatabase monolith = TestPostgres.createDatabase("split_src");
        ScratchDatabase accounts = TestPostgres.createDatabase("split_accounts");
        ScratchDatabase trading = TestPostgres.createDatabase("split_trading");
        ScratchDatabase control = TestPostgres.createDatabase("split_control");
        try {
            monolith.execute(TwoInstances.SCHEMA,
                    "INSERT INTO public.users SELECT g, 'u' || g || '@x.example', 'U' || g, 'active', now() FROM generate_series(1, 40) g",
                    "INSERT INTO public.strategies VALUES (1, 'momentum', 1), (2, 'carry', 2)",
                    "INSERT INTO public.trades SELECT g, 1 + g % 40, 1 + g % 2, g FROM generate_series(1, 300) g");
            Path config = dir.resolve("migration.yaml");
            Files.writeString(config, """
                    version: 1
                    control: {connection: consolidated}
                    sources: [{id: monolith}]
                    targets: {consolidated: {connection: consolidated}}
                    consolidate:
                      split:
                        - source: monolith
                          targets:
                            svc_accounts: [public.users]
                            svc_trading: [public.strategies, public.trades]
                    """);
            Map<String, String> env = new HashMap<>(Map.of(
                    "TRIBUTARY_CONN_MONOLITH", monolith.uri(), "TRIBUTARY_CONN_SVC_ACCOUNTS", accounts.uri(),
                    "TRIBUTARY_CONN_SVC_TRADING", trading.uri(), "TRIBUTARY_CONN_CONSOLIDATED", control.uri(),
                    "TRIBUTARY_ACTOR", "junit"));

            CliRun resolved = CliRun.run(env, "resolve", "--config=" + config);
            assertEquals(0, resolved.exitCode(), resolved.toString());
            String cut = resolved.json().get("cross_target_references").toString();
            assertTrue(cut.contains("public.trades(user_id)") && cut.contains("public.strategies(owner_user_id)"), cut);
            assertTrue(!cut.contains("strategy_id"), "trades → strategies stay together in svc_trading: " + cut);

            for (var owner : Map.of("svc_accounts", List.of("public.users"),
                    "svc_trading", List.of("public.strategies", "public.trades")).entrySet()) {
                for (String t : owner.getValue()) {
                    CliRun copy = CliRun.run(env, "copy", "--config=" + config, "--source", "monolith", "--table", t,
                            "--target", owner.getKey());
                    assertEquals(0, copy.exitCode(), copy.toString());
                    assertTrue(copy.json().get("verified").asBoolean());
                }
            }
            assertEquals(40, accounts.count("SELECT count(*) FROM public.users"));
            assertEquals(300, trading.count("SELECT count(*) FROM public.trades"));
            assertEquals(null, accounts.query("SELECT to_regclass('public.trades')::text"));
            assertEquals(null, trading.query("SELECT to_regclass('public.users')::text"));
            // a one-to-one split keeps keys as they are: no offsets, no origin column
            assertEquals(null, trading.query("SELECT attname FROM pg_attribute WHERE attrelid = 'public.trades'::regclass"
                    + " AND attname = 'tributary_source'"));
            trading.execute("ALTER TABLE public.trades ADD FOREIGN KEY (strategy_id) REFERENCES public.strategies (id)");

            // a table with two owners is refused by name, exit 2
            Path bad = dir.resolve("bad.yaml");
            Files.writeString(bad, Files.readString(config).replace("svc_accounts: [public.users]",
                    "svc_accounts: [public.users, public.trades]"));
            CliRun refused = CliRun.run(env, "validate-config", "--config=" + bad);
            assertEquals(2, refused.exitCode(), refused.toString());
            assertTrue(refused.stdout().contains("$.consolidate.split[0].targets.svc_trading[1]")
                    && refused.stdout().contains("already has an owner"), refused.toString());
        } finally {
            for (ScratchDatabase db : List.of(monolith, accounts, trading, control)) {
                db.close();
            }
        }
    }
}
