package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.ledger.ChunkLedger;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.TableLedger;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@RequiresPostgres
class RerunIsNoOpTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("rerun", dir);
        db.source.execute(
                "CREATE TABLE public.trades (id bigint PRIMARY KEY, symbol text, qty numeric(18,6))",
                "INSERT INTO public.trades SELECT g, 'SYM' || (g % 40), g / 3.0 FROM generate_series(1, 5000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void secondRunSkipsAndReturnsTheStoredResult() throws SQLException {
        CliRun first = db.copy("public.trades", "--run-id", "first");
        assertEquals(0, first.exitCode(), first.toString());
        assertEquals("copied", first.json().get("status").asText());

        CliRun second = db.copy("public.trades", "--run-id", "second");
        assertEquals(0, second.exitCode(), second.toString());
        assertEquals("skipped", second.json().get("status").asText());
        assertEquals(first.json().get("checksum"), second.json().get("checksum"));
        assertEquals(first.json().get("rows"), second.json().get("rows"));
        assertEquals(first.json().get("bytes"), second.json().get("bytes"));
        assertTrue(second.stderr().contains("already copied, nothing to do"), second.stderr());

        assertEquals(5000, db.target.count("SELECT count(*) FROM public.trades"));
        assertEquals("1|first", db.target.query("SELECT attempts || '|' || run_id FROM tributary.table_status"));
        assertEquals(1, db.target.count("SELECT count(*) FROM tributary.audit_log WHERE action = 'copy.skipped'"));

        try (Connection c = db.target.connect()) {
            long tableId = Long.parseLong(db.target.query("SELECT table_id FROM tributary.table_status"));
            List<ChunkLedger.Chunk> chunks = new ChunkLedger(new ControlSchema("tributary")).chunks(c, tableId);
            assertEquals(1, chunks.size(), "one chunk covering the whole table");
            assertEquals(TableLedger.COPIED, chunks.get(0).status());
            assertEquals(null, chunks.get(0).range());
            assertEquals(first.json().get("checksum").asText(), chunks.get(0).targetChecksum());
            assertEquals(1, chunks.get(0).attempts());
        }
    }
}
