package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.verify.ChecksumDialect;
import io.tributary.verify.TableChecksum;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's promise end to end, on real PostgreSQL and moto's S3: archive a table of awkward types into
 * several Parquet files, find it in the catalog (control schema and catalog.json), verified by reading back; restore
 * it into a fresh database under a new name with the same count and checksum, its keys and indexes, computed
 * independently by the restored database.
 */
@RequiresPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ArchiveThenRestoreReproducesTheChecksumTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;
    static JsonNode archived;

    @BeforeAll
    static void createAwkwardTable() {
        db = new ArchiveFixture("archive_restore", dir, """
                encryption: AES256
                storage_class: STANDARD_IA
                retention_days: 400
                transition_days: 30
                transition_storage_class: GLACIER
                drop_source_hold_days: 30
                rows_per_file: 1000
                """);
        db.source.execute(
                "CREATE TYPE public.mood AS ENUM ('calm', 'giddy', 'grim')",
                "CREATE DOMAIN public.price AS numeric(12,4) CHECK (VALUE >= 0)",
                "CREATE TABLE public.referrer (id int PRIMARY KEY)",
                "INSERT INTO public.referrer VALUES (1), (2)",
                """
                CREATE TABLE public.legacy_promo_codes (
                    id bigint PRIMARY KEY,
                    code text NOT NULL,
                    note varchar(40),
                    discount numeric(12,4),
                    raw_amount numeric,
                    price public.price,
                    valid_until timestamptz,
                    created date DEFAULT '2020-01-01',
                    at_local timestamp,
                    flags boolean,
                    ratio double precision,
                    small real,
                    attrs jsonb,
                    legacy_json json,
                    tags text[],
                    counts int[],
                    mood public.mood,
                    blob bytea,
                    uid uuid,
                    wait interval,
                    referrer int REFERENCES public.referrer,
                    CONSTRAINT code_not_blank CHECK (code <> '')
                )""",
                "CREATE INDEX legacy_promo_codes_valid_idx ON public.legacy_promo_codes (valid_until)",
                "CREATE UNIQUE INDEX legacy_promo_codes_code_idx ON public.legacy_promo_codes (lower(code))",
                "COMMENT ON TABLE public.legacy_promo_codes IS 'promo codes from the 2019 campaign'",
                """
                INSERT INTO public.legacy_promo_codes
                SELECT g, 'CODE-' || g || CASE WHEN g % 97 = 0 THEN E'\\ttab\\nnewline\\\\back' ELSE '' END,
                       CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END,
                       g * 1.2500, (g * 3.14159265358979)::numeric / 7, (g % 300) * 0.5,
                       timestamptz '2019-06-01 12:00:00+02' + g * interval '37 minutes 1.000001 second',
                       date '2019-01-01' + g, timestamp '2019-01-01 00:00:00.5' + g * interval '1 hour',
                       CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END,
                       g / 3.0::float8, (g / 7.0)::real,
                       jsonb_build_object('g', g, 'k', ARRAY['a', 'b'], 'nested', jsonb_build_object('x', g % 4)),
                       ('{"b": 1,  "a": ' || g || '}')::json,
                       ARRAY['x' || g, NULL, 'quote"d', ''], ARRAY[g, g + 1],
                       (ARRAY['calm', 'giddy', 'grim'])[1 + g % 3]::public.mood,
                       decode(lpad(to_hex(g), 8, '0'), 'hex'),
                       md5(g::text)::uuid, g * interval '1 day 2 hours 3.5 seconds',
                       CASE WHEN g % 2 = 0 THEN 1 ELSE 2 END
                  FROM generate_series(1, 2500) g""",
                "INSERT INTO public.legacy_promo_codes (id, code) VALUES (0, 'ALL-NULLS')");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    @Order(1)
    void archiveWritesSeveralZstdFilesAndVerifiesByReadingBack() {
        CliRun run = db.archive("public.legacy_promo_codes", "--class", "unknown",
                "--reason", "no reads since statistics reset", "--reason", "name says legacy");
        assertEquals(0, run.exitCode(), run.toString());
        archived = run.json();
        assertEquals("archived", archived.get("status").asText());
        assertEquals(2501, archived.get("rows").asLong());
        assertEquals(archived.get("checksum").asText(), archived.get("archive_checksum").asText());
        assertEquals(2501, archived.get("archive_rows").asLong());
        assertTrue(archived.get("verified").asBoolean());
        assertEquals(3, archived.get("files").asInt());
        String id = "src_eu/public/legacy_promo_codes/run-1";
        assertEquals(id, archived.get("archive_id").asText());
        assertEquals("s3://" + db.bucket + "/archive/" + id + "/", archived.get("location").asText());
        // the source database's own figure, independently
        CliRun sourceChecksum = CliRun.run(db.env(), "checksum", "--conn", "src_eu", "--table", "public.legacy_promo_codes");
        assertEquals(sourceChecksum.json().get("checksum").asText(), archived.get("checksum").asText());
    }

    @Test
    @Order(2)
    void theCatalogHasTheEntryInTheControlSchemaAndNextToTheData() {
        String id = archived.get("archive_id").asText();
        assertEquals("verified|unknown|2501|3", db.control.query("SELECT status || '|' || class || '|' || rows || '|'"
                + " || jsonb_array_length(entry->'data'->'files') FROM tributary.archive_catalog WHERE archive_id = '"
                + id + "'"));
        assertEquals("1", db.control.query("SELECT count(*) FROM tributary.audit_log WHERE action = 'archive'"
                + " AND detail->>'archive_id' = '" + id + "' AND (detail->>'verified')::boolean"));
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            String json = new String(store.getBytes(new S3Location(db.bucket, "archive/" + id + "/catalog.json")),
                    StandardCharsets.UTF_8);
            CatalogEntry entry = CatalogEntry.fromJson(json);
            assertEquals(CatalogEntry.VERIFIED, entry.status());
            assertEquals(archived.get("checksum").asText(), entry.checksum().source().checksum());
            assertEquals(archived.get("checksum").asText(), entry.checksum().archive().checksum());
            assertEquals("junit", entry.lineage().triggeredBy());
            assertEquals("run-1", entry.lineage().runId());
            assertEquals(java.util.List.of("no reads since statistics reset", "name says legacy"),
                    entry.classification().reasons());
            assertEquals(java.util.List.of("id"), entry.primaryKey());
            assertEquals("numeric(12,4)", entry.columns().get(3).type());
            assertTrue(entry.columns().get(3).parquetType().contains("DECIMAL(12,4)"), entry.columns().get(3).toString());
            assertTrue(entry.ddl().original().contains("CREATE TYPE \"public\".\"mood\" AS ENUM ('calm', 'giddy', 'grim')"),
                    entry.ddl().original());
            assertTrue(entry.ddl().original().contains("CHECK ((code <> ''::text))"), entry.ddl().original());
            assertTrue(entry.ddl().original().contains("FOREIGN KEY (referrer) REFERENCES public.referrer(id)"));
            assertTrue(entry.ddl().original().contains("promo codes from the 2019 campaign"));
            assertEquals(400, entry.retention().days());
            assertTrue(entry.storage().lifecycleRule().contains("GLACIER after 30 days"), entry.storage().lifecycleRule());
            long fileBytes = entry.data().files().stream().mapToLong(CatalogEntry.DataFile::bytes).sum();
            assertEquals(entry.data().bytes(), fileBytes);
            for (CatalogEntry.DataFile f : entry.data().files()) {
                var head = store.head(new S3Location(db.bucket, f.key())).orElseThrow();
                assertEquals(f.bytes(), head.contentLength());
            }
        }
    }

    @Test
    @Order(3)
    void restoreIntoAFreshDatabaseReproducesTheChecksumWithKeysAndIndexes() {
        CliRun run = db.run("restore", "--entry", archived.get("archive_id").asText(), "--target", "restored",
                "--target-table", "back.promo_codes");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode r = run.json();
        assertEquals("restored", r.get("status").asText());
        assertEquals(2501, r.get("rows").asLong());
        assertEquals(archived.get("checksum").asText(), r.get("checksum").asText());
        assertTrue(r.get("verified").asBoolean());
        assertTrue(r.get("not_restored").get(0).asText().startsWith("foreign key"), r.toString());
        // computed again, independently, by the restored database
        CliRun check = CliRun.run(db.env(), "checksum", "--conn", "restored", "--table", "back.promo_codes");
        assertEquals(archived.get("checksum").asText(), check.json().get("checksum").asText());
        assertEquals("p,c", db.restored.query("SELECT string_agg(contype::text, ',' ORDER BY contype DESC)"
                + " FROM pg_constraint WHERE conrelid = 'back.promo_codes'::regclass"));
        assertEquals("2", db.restored.query("SELECT count(*) FROM pg_index WHERE indrelid = 'back.promo_codes'::regclass"
                + " AND NOT indisprimary"));
        assertEquals("CODE-97\ttab\nnewline\\back", db.restored.query("SELECT code FROM back.promo_codes WHERE id = 97"));
        assertEquals("{x97,NULL,\"quote\\\"d\",\"\"}", db.restored.query("SELECT tags::text FROM back.promo_codes WHERE id = 97"));
        assertEquals("{\"b\": 1,  \"a\": 97}", db.restored.query("SELECT legacy_json::text FROM back.promo_codes WHERE id = 97"));
        assertEquals("giddy", db.restored.query("SELECT mood::text FROM back.promo_codes WHERE id = 97"));
    }

    @Test
    @Order(4)
    void aSecondRestoreIsANoOpAndANewerArchiveIsNotWrittenTwice() {
        CliRun again = db.run("restore", "--entry", "src_eu.public.legacy_promo_codes", "--target", "restored",
                "--target-table", "back.promo_codes");
        assertEquals(0, again.exitCode(), again.toString());
        assertEquals("skipped", again.json().get("status").asText());
        CliRun rerun = db.archive("public.legacy_promo_codes", "--run-id", "run-2");
        assertEquals(0, rerun.exitCode(), rerun.toString());
        assertEquals("skipped", rerun.json().get("status").asText());
        assertEquals(archived.get("archive_id").asText(), rerun.json().get("archive_id").asText());
        assertFalse(rerun.json().get("source_dropped").asBoolean());
        assertEquals("1", db.control.query("SELECT count(*) FROM tributary.archive_catalog"));
    }

    @Test
    @Order(5)
    void withoutDropSourceTheSourceIsUntouchedAndARefusedDropSaysWhy() {
        CliRun run = db.archive("public.legacy_promo_codes", "--drop-source");
        assertEquals(0, run.exitCode(), run.toString());
        assertFalse(run.json().get("source_dropped").asBoolean());
        assertTrue(run.json().get("drop_refused").asText().contains("retention hold"), run.toString());
        assertNotNull(db.source.query("SELECT to_regclass('public.legacy_promo_codes')"));
        assertEquals("2501", db.source.query("SELECT count(*) FROM public.legacy_promo_codes"));
    }

    @Test
    @Order(6)
    void restoringAnUnknownEntryIsExitTwoAndSaysHowToFindOne() {
        CliRun run = db.run("restore", "--entry", "src_eu/public/nope/run-9", "--target", "restored");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("tributary catalog search"), run.toString());
    }

    @Test
    @Order(7)
    void anArchiveCatalogedWithTheV1TextHashStillRestoresVerified() throws Exception {
        // An archive made before typed row hashes: its catalog holds v1 figures, which restore must check with v1.
        String v1;
        try (Connection src = db.source.connect()) {
            TableShape shape = new CatalogReader().read(src, new TableRef("public", "legacy_promo_codes")).orElseThrow();
            v1 = new TableChecksum(RowSelection.of(shape, null), ChecksumDialect.POSTGRES_TEXT_V1).compute(src).hex();
        }
        assertNotEquals(archived.get("checksum").asText(), v1);
        db.control.execute("UPDATE tributary.archive_catalog SET entry = jsonb_set(jsonb_set(entry,"
                + " '{checksum,algorithm}', to_jsonb('tributary-checksum-v1: count(*) and"
                + " sum(hashtextextended(ROW(canonical columns)::text, 0)) mod 2^64'::text)),"
                + " '{checksum,source,checksum}', to_jsonb('" + v1 + "'::text))");
        CliRun run = db.run("restore", "--entry", archived.get("archive_id").asText(), "--target", "restored",
                "--target-table", "back.promo_codes_v1");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals("restored", run.json().get("status").asText());
        assertEquals(v1, run.json().get("checksum").asText());
        assertTrue(run.json().get("verified").asBoolean());

        db.control.execute("UPDATE tributary.archive_catalog SET entry = jsonb_set(entry, '{checksum,algorithm}',"
                + " to_jsonb('tributary-checksum-v9: from the future'::text))");
        CliRun unknown = db.run("restore", "--entry", archived.get("archive_id").asText(), "--target", "restored",
                "--target-table", "back.promo_codes_v9");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.json().get("error").asText().contains("tributary-checksum-v9"), unknown.toString());
        assertEquals("", db.restored.query("SELECT coalesce(to_regclass('back.promo_codes_v9')::text, '')"));
    }
}

