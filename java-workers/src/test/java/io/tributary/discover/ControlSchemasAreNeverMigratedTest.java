package io.tributary.discover;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.ledger.ControlSchema;
import io.tributary.testing.CliRun;
import io.tributary.testing.Discovery;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source can hold a Tributary control schema under any name (the rollback's reverse follower keeps one there):
 * discovery leaves it out of the inventory and the whole-schema restore leaves it out of the target, so the
 * bookkeeping is never migrated, while the user's schemas beside it are.
 */
@RequiresPostgres
class ControlSchemasAreNeverMigratedTest {
    @TempDir
    Path dir;

    @Test
    void aControlSchemaOnASourceIsNeitherInventoriedNorRestored() throws Exception {
        try (ScratchDatabase source = TestPostgres.createDatabase("ctl_on_source");
                ScratchDatabase target = TestPostgres.createDatabase("ctl_on_source_target")) {
            source.execute("CREATE SCHEMA \"Back Office\"", "CREATE TABLE \"Back Office\".ledger (id int PRIMARY KEY)");
            try (Connection c = source.connect()) {
                new ControlSchema("rollback bookkeeping").ensure(c);
            }
            Map<String, String> env = Map.of("TRIBUTARY_CONN_SCRATCH", source.uri(), "TRIBUTARY_CONN_DST", target.uri());

            JsonNode inventory = Discovery.discover(env, "scratch", dir);
            List<String> schemas = new ArrayList<>();
            inventory.path("schemas").forEach(s -> schemas.add(s.asText()));
            List<String> tables = new ArrayList<>();
            inventory.path("tables").forEach(t -> tables.add(t.path("schema").asText() + "." + t.path("name").asText()));
            assertEquals(List.of("Back Office", "public"), schemas);
            assertEquals(List.of("Back Office.ledger"), tables);

            Path config = Files.writeString(dir.resolve("migration.yaml"), """
                    version: 1
                    project: control-schemas
                    control:
                      connection: dst
                      schema: tributary
                    sources:
                      - id: scratch
                    targets:
                      consolidated:
                        connection: dst
                    """);
            CliRun pre = CliRun.run(env, "schema", "--config", config.toString(), "--phase", "pre-data",
                    "--source", "scratch", "--whole");
            assertEquals(0, pre.exitCode(), pre.toString());
            assertEquals("1", target.query("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'Back Office'"));
            assertEquals("0", target.query("SELECT count(*) FROM pg_catalog.pg_namespace"
                    + " WHERE nspname = 'rollback bookkeeping'"), "the source's control schema was not restored");
        }
    }
}
