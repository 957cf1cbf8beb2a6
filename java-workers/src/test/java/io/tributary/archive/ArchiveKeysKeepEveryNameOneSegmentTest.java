package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tributary.catalog.TableRef;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An archive's folder is {@code <instance>/<schema>/<table>/<run>}: whatever a schema or table is called, it stays
 * one key segment, two tables never share a folder, and plain names keep the key they always had.
 */
class ArchiveKeysKeepEveryNameOneSegmentTest {
    private static String id(String schema, String table) {
        return new ArchiveLayout("bucket", "archive", "src_eu", new TableRef(schema, table), "run_1").archiveId();
    }

    @Test
    void plainNamesKeepTheirKeys() {
        assertEquals("src_eu/market/fills/run_1", id("market", "fills"));
        assertEquals("src_eu/Sp1eCial .Char/Tabl e.\"1\"testing$ünï/run_1", id("Sp1eCial .Char", "Tabl e.\"1\"testing$ünï"));
    }

    @Test
    void everyNameStaysOneSegmentAndTwoTablesNeverShareAFolder() {
        List<String[]> tables = List.of(new String[] {"app", "a/b"}, new String[] {"app/a", "b"},
                new String[] {"app", "a%2Fb"}, new String[] {"app", ".."}, new String[] {"..", "."},
                new String[] {"app", "with\n  AS (x"}, new String[] {"app", "tab\there"}, new String[] {"app", "select"},
                new String[] {"app", "é".repeat(31) + "x"});
        Set<String> ids = new HashSet<>();
        for (String[] t : tables) {
            String id = id(t[0], t[1]);
            assertEquals(4, id.split("/", -1).length, id);
            assertEquals(true, ids.add(id), "two tables share " + id);
            for (String segment : id.split("/")) {
                assertNotEquals(".", segment);
                assertNotEquals("..", segment);
                assertEquals(true, segment.codePoints().noneMatch(Character::isISOControl), segment);
            }
        }
        assertEquals("src_eu/app/a%2Fb/run_1", id("app", "a/b"));
        assertEquals("src_eu/app/with%0A  AS (x/run_1", id("app", "with\n  AS (x"));
        assertEquals("src_eu/%2E%2E/%2E/run_1", id("..", "."));
    }

    @Test
    void theRestoreHintQuotesTheEntryForAShell() {
        assertEquals("src_eu/market/fills/run_1", TableArchive.shellWord(id("market", "fills")));
        assertEquals("'src_eu/it'\\''s/a b/run_1'", TableArchive.shellWord(id("it's", "a b")));
    }

    /** The same examples as tests/test_names.py (the DAGs' names.key_segment). */
    @Test
    void theDagsWriteTheSameSegments() {
        assertEquals("a%252Fb", io.tributary.s3.S3Location.segment("a%2Fb"));
        assertEquals("%C2%85", io.tributary.s3.S3Location.segment("\u0085"));
        assertEquals("...", io.tributary.s3.S3Location.segment("..."));
    }
}
