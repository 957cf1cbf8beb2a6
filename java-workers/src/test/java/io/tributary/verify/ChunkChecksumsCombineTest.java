package io.tributary.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.testing.CliRun;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.tributary.testing.RequiresPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Chunk checksums add up (mod 2^64) to the whole-table checksum, so mismatches can be bisected. */
@RequiresPostgres
class ChunkChecksumsCombineTest {
    static ScratchDatabase db;
    static Map<String, String> env;

    @BeforeAll
    static void createTable() {
        db = TestPostgres.createDatabase("chunks");
        db.execute(
                "CREATE TABLE public.ticks (id bigint PRIMARY KEY, symbol text, price numeric(18,8), at timestamptz)",
                "INSERT INTO public.ticks SELECT g, 'S' || (g % 97), random() * 1000,"
                        + " now() - g * interval '1 second' FROM generate_series(1, 10000) g");
        env = Map.of("TRIBUTARY_CONN_TICKS", db.uri());
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void chunkSumsEqualTheWholeTableViaTheLibrary() throws Exception {
        ConnectionFactory factory = new ConnectionFactory(env, "test");
        try (Connection c = factory.open("ticks")) {
            TableShape shape = new CatalogReader().read(c, new TableRef("public", "ticks")).orElseThrow();
            Checksum whole = new TableChecksum(RowSelection.of(shape, null)).compute(c);
            assertEquals(10000, whole.rows());

            List<Checksum> parts = new ArrayList<>();
            String[] bounds = {null, "1", "2500", "2501", "7777", null};
            for (int i = 0; i + 1 < bounds.length; i++) {
                KeyRange range = new KeyRange("id", bounds[i], bounds[i + 1]);
                parts.add(new TableChecksum(RowSelection.of(shape, range)).compute(c));
            }
            assertEquals(whole, Checksum.combine(parts));
        }
    }

    @Test
    void chunkSumsEqualTheWholeTableViaTheCli() {
        CliRun whole = CliRun.run(env, "checksum", "--conn", "ticks", "--table", "public.ticks");
        assertEquals(0, whole.exitCode(), whole.toString());
        Checksum sum = Checksum.EMPTY;
        for (String range : new String[] {"id::3000", "id:3000:6000", "id:6000:"}) {
            CliRun part = CliRun.run(env, "checksum", "--conn", "ticks", "--table", "public.ticks",
                    "--where-range", range);
            assertEquals(0, part.exitCode(), part.toString());
            assertEquals(range, part.json().get("where_range").asText());
            sum = sum.plus(new Checksum(part.json().get("rows").asLong(), part.json().get("checksum").asText()));
        }
        assertEquals(whole.json().get("checksum").asText(), sum.hex());
        assertEquals(whole.json().get("rows").asLong(), sum.rows());
    }
}
