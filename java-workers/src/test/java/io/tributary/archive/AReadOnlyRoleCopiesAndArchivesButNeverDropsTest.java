package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.TestPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Least privilege on a source (docs/security.md): a role that may only read (pg_read_all_data, pg_read_all_stats:
 * no ownership, no REPLICATION, no CREATE) is enough to discover, copy and archive a source; with it,
 * {@code archive --drop-source} cannot drop anything — exit 2 naming the missing privilege, the table intact.
 */
@RequiresPostgres
class AReadOnlyRoleCopiesAndArchivesButNeverDropsTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;
    static String reader = System.getenv("TRIBUTARY_TEST_READER_URI");
    static Map<String, String> asReader;

    @BeforeAll
    static void createTables() {
        assumeTrue(reader != null && !reader.isBlank(), "TRIBUTARY_TEST_READER_URI not set (the local stack writes"
                + " TRIBUTARY_CONN_CONSOLIDATED_READER)");
        db = new ArchiveFixture("least_priv", dir, """
                encryption: AES256
                drop_source_hold_days: 0
                """);
        db.source.execute(
                "CREATE TABLE public.ledger_2018 (id int PRIMARY KEY, amount numeric(12,2))",
                "INSERT INTO public.ledger_2018 SELECT g, g * 1.25 FROM generate_series(1, 400) g");
        asReader = new HashMap<>(db.env());
        asReader.put("TRIBUTARY_CONN_SRC_EU", TestPostgres.withDatabase(reader, db.source.name()));
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void readingIsEnoughToCopyAndArchiveAndDroppingIsRefused() {
        CliRun copy = CliRun.run(asReader, "copy", "--config=" + db.config, "--source", "src_eu", "--table",
                "public.ledger_2018", "--target", "restored");
        assertEquals(0, copy.exitCode(), copy.toString());
        assertTrue(copy.json().get("verified").asBoolean());

        CliRun archive = CliRun.run(asReader, "archive", "--config=" + db.config, "--source", "src_eu", "--table",
                "public.ledger_2018", "--run-id", "ro", "--drop-source");
        assertEquals(2, archive.exitCode(), archive.toString());
        String error = archive.json().get("error").asText();
        assertTrue(error.contains("must be owner") || error.contains("permission denied"), error);
        assertEquals("400", db.source.query("SELECT count(*) FROM public.ledger_2018"), "nothing dropped");
        assertEquals("verified", db.control.query("SELECT status FROM tributary.archive_catalog WHERE archive_id ="
                + " 'src_eu/public/ledger_2018/ro'"), "the archive itself was written and verified");
    }
}
