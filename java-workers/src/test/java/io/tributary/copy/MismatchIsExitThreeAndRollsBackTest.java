package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target that silently changes data (here: a narrower numeric column that rounds prices) is caught by
 * the target database's own checksum: exit 3, nothing committed, the ledger says mismatch.
 */
@RequiresPostgres
class MismatchIsExitThreeAndRollsBackTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createTables() {
        db = new CopyFixture("mismatch", dir);
        db.source.execute(
                "CREATE TABLE public.prices (id int PRIMARY KEY, price numeric(10,2))",
                "INSERT INTO public.prices SELECT g, g + 0.25 FROM generate_series(1, 1000) g");
        db.target.execute("CREATE TABLE public.prices (id int PRIMARY KEY, price numeric(10,1))");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void roundedPricesFailVerificationAndNothingLands() {
        CliRun run = db.copy("public.prices");
        assertEquals(3, run.exitCode(), run.toString());
        JsonNode json = run.json();
        assertEquals(3, json.get("exit_code").asInt());
        assertEquals(1000, json.get("rows").asLong());
        assertEquals(1000, json.get("target_rows").asLong());
        assertNotEquals(json.get("checksum").asText(), json.get("target_checksum").asText());

        assertEquals(0, db.target.count("SELECT count(*) FROM public.prices"), "rolled back");
        assertEquals("mismatch", db.target.query("SELECT status FROM tributary.table_status"));
        assertEquals(json.get("target_checksum").asText(),
                db.target.query("SELECT target_checksum FROM tributary.table_status"));
        assertEquals(1, db.target.count("SELECT count(*) FROM tributary.audit_log WHERE action = 'copy.failed'"));
    }
}
