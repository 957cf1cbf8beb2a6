package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.connect.ConnectionFactory;
import io.tributary.ledger.ControlSchema;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `catalog search` over the control schema's archive_catalog: every criterion, alone and combined. */
@RequiresPostgres
class CatalogSearchFindsByNameTagColumnClassAndDateTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void catalogThreeArchives() throws Exception {
        db = new CopyFixture("catalog_search", dir);
        ControlSchema control = new ControlSchema("tributary");
        ConnectionFactory connections = new ConnectionFactory(db.env(), "test");
        try (Connection c = connections.open("consolidated")) {
            control.ensure(c);
            ArchiveCatalog catalog = new ArchiveCatalog(control);
            catalog.save(c, entry("src_eu", "public", "legacy_promo_codes", "2025-03-01T10:00:00Z", "unknown",
                    List.of("code", "discount_pct", "valid_until"), "STANDARD"));
            catalog.save(c, entry("src_eu", "public", "backup_users_20200101", "2026-06-15T08:30:00Z", "unknown",
                    List.of("id", "email", "created_at"), "GLACIER"));
            catalog.save(c, entry("src_us", "ops", "tmp_fills_export", "2026-06-16T23:59:00Z", "broker",
                    List.of("fill_id", "Email_Hash"), "STANDARD_IA"));
        }
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    static CatalogEntry entry(String instance, String schema, String table, String at, String klass,
            List<String> columns, String storageClass) {
        String run = "scheduled__" + at.substring(0, 10);
        String id = instance + "/" + schema + "/" + table + "/" + run;
        List<CatalogEntry.Column> cols = new ArrayList<>();
        columns.forEach(n -> cols.add(new CatalogEntry.Column(n, "text", false, "BINARY (STRING)")));
        Map<String, String> tags = Map.of("class", klass, "source-instance", instance, "run-id", run);
        return new CatalogEntry(CatalogEntry.FORMAT, id, CatalogEntry.VERIFIED,
                new CatalogEntry.Source(instance, "trading", schema, table, "15"),
                new CatalogEntry.Lineage(instance, schema + "." + table, run, "junit", null, null, at),
                new CatalogEntry.Classification(klass, List.of("never read")), cols, List.of(),
                new ArchivedDdl(List.of(), "CREATE TABLE x ()", List.of(), List.of(), List.of(), ""),
                new CatalogEntry.Data("s3://b/archive/" + id + "/", "parquet", "ZSTD", 10, 100, List.of()),
                new CatalogEntry.Checksums("tributary-v1", new CatalogEntry.Figures(10, "00000000000000aa", at),
                        new CatalogEntry.Figures(10, "00000000000000aa", at), true),
                new CatalogEntry.Storage("b", "AES256", null, storageClass, tags, null, null, null),
                new CatalogEntry.Retention(30, "2030-01-01", 0, at, null, null),
                new CatalogEntry.Restore("tributary restore --entry " + id, "tributary_restore", false, List.of()));
    }

    private static List<String> search(String... criteria) {
        List<String> args = new ArrayList<>(List.of("catalog", "search", "--config=" + db.config));
        args.addAll(List.of(criteria));
        CliRun run = CliRun.run(db.env(), args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode json = run.json();
        List<String> ids = new ArrayList<>();
        json.get("entries").forEach(e -> ids.add(e.get("instance").asText() + "." + e.get("table").asText()));
        assertEquals(ids.size(), json.get("count").asInt());
        return ids;
    }

    @Test
    void everythingNewestFirst() {
        assertEquals(List.of("src_us.ops.tmp_fills_export", "src_eu.public.backup_users_20200101",
                "src_eu.public.legacy_promo_codes"), search());
    }

    @Test
    void byNameGlobOnTableSchemaTableOrInstanceSchemaTable() {
        assertEquals(List.of("src_eu.public.legacy_promo_codes"), search("--name", "legacy_*"));
        assertEquals(List.of("src_eu.public.legacy_promo_codes"), search("--name", "public.LEGACY_promo_codes"));
        assertEquals(List.of("src_us.ops.tmp_fills_export"), search("--name", "src_us.*.*"));
        assertEquals(List.of(), search("--name", "legacy"));
    }

    @Test
    void byColumnCaseInsensitiveAndTheMatchedColumnsAreListed() {
        CliRun run = CliRun.run(db.env(), "catalog", "search", "--config=" + db.config, "--column", "email*");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(2, run.json().get("count").asInt());
        assertEquals("Email_Hash", run.json().get("entries").get(0).get("matched_columns").get(0).asText());
        assertTrue(run.stderr().contains("src_eu/public/backup_users_20200101/scheduled__2026-06-15"), run.stderr());
    }

    @Test
    void byTagKeyOrKeyValue() {
        assertEquals(List.of("src_us.ops.tmp_fills_export"), search("--tag", "source-instance=src_us"));
        assertEquals(3, search("--tag", "run-id").size());
        assertEquals(List.of(), search("--tag", "nope"));
    }

    @Test
    void byClassAndDate() {
        assertEquals(List.of("src_us.ops.tmp_fills_export"), search("--class", "broker"));
        assertEquals(List.of("src_eu.public.backup_users_20200101"), search("--date", "2026-06-15"));
        assertEquals(List.of("src_eu.public.backup_users_20200101"), search("--since", "2026-01-01", "--class", "unknown"));
        assertEquals(List.of("src_eu.public.legacy_promo_codes"), search("--until", "2025-12-31"));
    }

    @Test
    void aBadDateIsExitTwoNamingTheOption() {
        CliRun run = CliRun.run(db.env(), "catalog", "search", "--config=" + db.config, "--since", "June");
        assertEquals(2, run.exitCode(), run.toString());
        assertEquals("--since 'June' must be a date as YYYY-MM-DD", run.json().get("error").asText());
    }
}
