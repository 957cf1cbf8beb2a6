package io.tributary.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateConfigNamesBadKeyTest {
    private static final String GOOD = """
            version: 1
            control:
              connection: consolidated
            sources:
              - id: src_eu
              - id: src_us
            targets:
              consolidated:
                connection: consolidated
            consolidate:
              tables:
                - source: src_eu
                  table: public.users
            """;

    @TempDir
    Path dir;

    private CliRun validate(String yaml) throws IOException {
        Path file = dir.resolve("migration.yaml");
        Files.writeString(file, yaml);
        return CliRun.run(Map.of(), "validate-config", "--config", file.toString());
    }

    private static void assertProblem(CliRun run, String expectedLine) {
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.stderr().contains(expectedLine), "stderr lacks [" + expectedLine + "]\n" + run);
        JsonNode json = run.json();
        assertEquals(2, json.get("exit_code").asInt());
        boolean listed = false;
        for (JsonNode p : json.get("problems")) {
            listed |= p.asText().equals(expectedLine);
        }
        assertTrue(listed, "JSON problems lack [" + expectedLine + "]: " + json);
    }

    @Test
    void theRepositoryConfigIsValid() {
        Path repoConfig = Path.of(System.getProperty("tributary.repo.dir", ".."), "config", "migration.yaml");
        CliRun run = CliRun.run(Map.of(), "validate-config", "--config", repoConfig.toString());
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertTrue(json.get("valid").asBoolean());
        assertEquals(3, json.get("sources").asInt());
        assertEquals("tributary", json.get("control").get("schema").asText());
    }

    @Test
    void configComesFromTributaryConfigWhenNoOptionIsGiven() throws IOException {
        Path file = dir.resolve("from-env.yaml");
        Files.writeString(file, GOOD);
        CliRun run = CliRun.run(Map.of("TRIBUTARY_CONFIG", file.toString()), "validate-config");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(2, CliRun.run(Map.of(), "validate-config").exitCode());
    }

    @Test
    void misspelledKeyIsNamedWithItsPathAndASuggestion() throws IOException {
        CliRun run = validate(GOOD.replace("  - id: src_us", "  - id: src_us\n    descripton: US"));
        assertProblem(run, "migration.yaml: $.sources[1].descripton: unknown key (did you mean 'description'?"
                + " allowed here: application, description, exclude_schemas, id, max_sessions, target_schema)");
    }

    @Test
    void twoApplicationsNeverShareATargetSchema() throws IOException {
        String named = GOOD.replace("  - id: src_eu", "  - id: src_eu\n    application: trading\n    target_schema: apps")
                .replace("  - id: src_us", "  - id: src_us\n    application: invoicing\n    target_schema: apps");
        assertProblem(validate(named), "migration.yaml: $.sources[1].target_schema: 'apps' is also the target_schema of"
                + " src_eu ($.sources[0]), another application ('trading' vs 'invoicing'): applications are kept apart,"
                + " give each its own schema");
        assertEquals(0, validate(named.replace("application: invoicing", "application: trading")).exitCode());
    }

    @Test
    void badConnectionIdIsNamedWithItsPath() throws IOException {
        CliRun run = validate(GOOD.replace("id: src_us", "id: Src-US"));
        assertProblem(run, "migration.yaml: $.sources[1].id: does not match the regex pattern ^[a-z][a-z0-9_]{0,62}$");
    }

    @Test
    void missingRequiredKeyIsNamed() throws IOException {
        CliRun run = validate(GOOD.replace("control:\n  connection: consolidated\n", "control: {}\n"));
        assertProblem(run, "migration.yaml: $.control.connection: required key is missing");
    }

    @Test
    void consolidateSourceMustBeADeclaredSource() throws IOException {
        CliRun run = validate(GOOD.replace("- source: src_eu", "- source: src_xx"));
        assertProblem(run, "migration.yaml: $.consolidate.tables[0].source: 'src_xx' is not a declared source id"
                + " (declared: src_eu, src_us)");
    }

    @Test
    void duplicateSourceIdsAreRefused() throws IOException {
        CliRun run = validate(GOOD.replace("id: src_us", "id: src_eu"));
        assertProblem(run, "migration.yaml: $.sources[1].id: duplicate source id 'src_eu' (first at $.sources[0].id)");
    }

    @Test
    void kmsEncryptionNeedsAKey() throws IOException {
        CliRun run = validate(GOOD.replace("targets:\n", """
                targets:
                  archive:
                    connection: s3
                    bucket: tributary-archive
                    encryption: aws:kms
                """));
        assertProblem(run, "migration.yaml: $.targets.archive.kms_key_id: required key is missing");
    }

    @Test
    void invalidYamlAndMissingFilesAreExitTwo() throws IOException {
        CliRun broken = validate("version: 1\nsources: [\n");
        assertEquals(2, broken.exitCode(), broken.toString());
        assertTrue(broken.json().get("error").asText().startsWith("migration.yaml: line "), broken.toString());

        CliRun missing = CliRun.run(Map.of(), "validate-config", "--config", dir.resolve("nope.yaml").toString());
        assertEquals(2, missing.exitCode());
        assertEquals("nope.yaml: file does not exist", missing.json().get("error").asText());
    }

    @Test
    void unknownTimeZoneIsRefused() throws IOException {
        CliRun run = validate(GOOD + "warehouse:\n  timezone: America/NewYork\n");
        assertProblem(run, "migration.yaml: $.warehouse.timezone: unknown time zone 'America/NewYork'"
                + " (use an IANA name such as America/New_York)");
    }

    @Test
    void anArchiveThatExpiresBeforeTheHoldIsRefused() throws IOException {
        CliRun run = validate(GOOD.replace("targets:\n", """
                targets:
                  archive:
                    connection: s3
                    bucket: tributary-archive
                    encryption: AES256
                    retention_days: 1
                    drop_source_hold_days: 30
                """));
        assertProblem(run, "migration.yaml: $.targets.archive.retention_days: 1 days would expire the archive before"
                + " the source may be dropped (drop_source_hold_days: 30): keep archives longer than the hold");
    }

    @Test
    void aLifecycleWithoutObjectTagsIsRefused() throws IOException {
        CliRun run = validate(GOOD.replace("targets:\n", """
                targets:
                  archive:
                    connection: s3
                    bucket: tributary-archive
                    encryption: AES256
                    object_tags: false
                """));
        assertProblem(run, "migration.yaml: $.targets.archive.lifecycle: the lifecycle rule expires each archive by"
                + " its retention-days tag: it needs object_tags: true (or lifecycle: false)");
    }

    @Test
    void theControlSchemaAndTheWarehouseAreNeverASource() throws IOException {
        CliRun run = validate(GOOD.replace("control:\n  connection: consolidated\n", "control:\n  connection: src_us\n")
                .replace("targets:\n", "targets:\n  warehouse:\n    connection: src_eu\n"));
        assertProblem(run, "migration.yaml: $.control.connection: 'src_us' is a source; the control schema lives on a"
                + " target");
        assertProblem(run, "migration.yaml: $.targets.warehouse.connection: 'src_eu' is a source; loads write to the"
                + " warehouse");
    }
}
