package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, "copies that fail on common features" (pgcopydb's 12-generated-column.sql, 15-attgenerated.sql,
 * 7-identity.sql): a stored generated column failed the copy with exit 1 ({@code column "nb" is a generated
 * column}). It is now left out of the COPY (the target computes it) and still hashed on both sides, each side its
 * own values, so a target whose generation expression differs is a verification failure. Identity columns, even
 * GENERATED ALWAYS, are copied as they are (COPY does not apply ALWAYS) and verified.
 */
@RequiresPostgres
class GeneratedAndIdentityColumnsCopyAndVerifyTest {
    private static final String COMMUNE = "(id character varying NOT NULL, nom character varying(50),"
            + " test text GENERATED ALWAYS AS (upper((nom)::text)) STORED)";
    private static final String GEN = "(nb int GENERATED ALWAYS AS (1) STORED)";
    private static final String IDENTITY = "(id bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY, f1 text)";

    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("generated", dir);
        db.source.execute(
                "CREATE TABLE public.ref_admin_commune " + COMMUNE,
                "INSERT INTO public.ref_admin_commune (id, nom) SELECT 'c' || g, CASE WHEN g % 10 = 0 THEN NULL"
                        + " ELSE 'commune ' || g END FROM generate_series(1, 2500) g",
                "CREATE TABLE public.gen " + GEN,
                "INSERT INTO public.gen VALUES (DEFAULT)",
                "CREATE TABLE public.commune_wrong " + COMMUNE,
                "INSERT INTO public.commune_wrong (id, nom) VALUES ('a', 'Paris'), ('b', 'Lyon')",
                "CREATE TABLE public.test_tbl " + IDENTITY,
                "INSERT INTO public.test_tbl (f1) SELECT 'row ' || g FROM generate_series(1, 300) g",
                "DELETE FROM public.test_tbl WHERE id % 7 = 0"); // gaps: the ids must be copied, not regenerated
        db.target.execute(
                "CREATE TABLE public.ref_admin_commune " + COMMUNE,
                "CREATE TABLE public.gen " + GEN,
                // the target's generation expression differs from the source's
                "CREATE TABLE public.commune_wrong (id character varying NOT NULL, nom character varying(50),"
                        + " test text GENERATED ALWAYS AS (lower((nom)::text)) STORED)",
                "CREATE TABLE public.test_tbl " + IDENTITY);
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aGeneratedColumnIsRecomputedByTheTargetAndCompared() {
        CliRun run = db.copy("public.ref_admin_commune", "--chunk-rows", "1000");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(2500, run.json().get("rows").asLong());
        assertEquals(run.json().get("checksum").asText(), run.json().get("target_checksum").asText());
        assertEquals(0, db.target.count("SELECT count(*) FROM public.ref_admin_commune"
                + " WHERE test IS DISTINCT FROM upper(nom)"));
        assertEquals(2500 - 250, db.target.count("SELECT count(test) FROM public.ref_admin_commune"));
        // the checksum hashes the generated column: it differs from one over the other columns alone
        CliRun withoutIt = CliRun.run(db.env(), "checksum", "--conn", "consolidated", "--table",
                "public.ref_admin_commune", "--columns", "id,nom");
        assertEquals(0, withoutIt.exitCode(), withoutIt.toString());
        assertTrue(!withoutIt.json().get("checksum").asText().equals(run.json().get("target_checksum").asText()),
                withoutIt.toString());
    }

    @Test
    void aTableWhoseOnlyColumnIsGeneratedCopiesItsRows() {
        CliRun run = db.copy("public.gen");
        assertEquals(0, run.exitCode(), run.toString());
        assertEquals(1, run.json().get("rows").asLong());
        assertEquals(run.json().get("checksum").asText(), run.json().get("target_checksum").asText());
        assertEquals(1, db.target.count("SELECT sum(nb) FROM public.gen"));
    }

    @Test
    void aDifferentGenerationExpressionOnTheTargetIsAVerificationFailure() {
        CliRun run = db.copy("public.commune_wrong");
        assertEquals(3, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("verification failed"), run.toString());
    }

    @Test
    void identityColumnsKeepTheirValues() {
        CliRun run = db.copy("public.test_tbl");
        assertEquals(0, run.exitCode(), run.toString());
        long rows = db.source.count("SELECT count(*) FROM public.test_tbl");
        assertEquals(rows, run.json().get("rows").asLong());
        assertEquals(run.json().get("checksum").asText(), run.json().get("target_checksum").asText());
        assertEquals(db.source.query("SELECT string_agg(id::text || f1, ',' ORDER BY id) FROM public.test_tbl"),
                db.target.query("SELECT string_agg(id::text || f1, ',' ORDER BY id) FROM public.test_tbl"));
    }
}
