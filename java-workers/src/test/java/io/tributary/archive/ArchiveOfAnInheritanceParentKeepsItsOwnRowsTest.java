package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An archived inheritance parent holds its own rows, not its children's (issue 15): the export, the source's
 * checksum and the read-back all read the parent with ONLY, so the archive neither duplicates the children (which are
 * archived as tables of their own) nor verifies a duplication.
 */
@RequiresPostgres
class ArchiveOfAnInheritanceParentKeepsItsOwnRowsTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;

    @BeforeAll
    static void createTables() {
        db = new ArchiveFixture("archive_inherit", dir, "encryption: AES256\n");
        db.source.execute("CREATE TABLE public.old_events (id int PRIMARY KEY, note text)",
                "CREATE TABLE public.old_events_2019 (extra text) INHERITS (public.old_events)",
                "INSERT INTO public.old_events SELECT g, 'own ' || g FROM generate_series(1, 40) g",
                "INSERT INTO public.old_events_2019 SELECT 1000 + g, 'child ' || g, 'x' FROM generate_series(1, 900) g");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void theParentsArchiveHoldsItsFortyRows() {
        CliRun run = db.archive("public.old_events", "--class", "unknown", "--reason", "old");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode archived = run.json();
        assertEquals(40, archived.get("rows").asLong(), run.toString());
        assertEquals(40, archived.get("archive_rows").asLong());
        assertTrue(archived.get("verified").asBoolean());
        CliRun child = db.archive("public.old_events_2019", "--class", "unknown", "--reason", "old");
        assertEquals(0, child.exitCode(), child.toString());
        assertEquals(900, child.json().get("rows").asLong());
    }
}
