package io.tributary.copy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.connect.ConnectionFactory;
import io.tributary.ledger.RunContext;
import io.tributary.result.RunSummary;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import io.tributary.verify.Checksum;
import io.tributary.verify.TableChecksum;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The projection seam: a copy whose selection remaps the key, adds an origin column and filters rows lands
 * exactly the projected rows, and its source checksum is the projected source's (not the raw table's).
 */
@RequiresPostgres
class ProjectionAppliesToCopyAndChecksumTest {
    @TempDir
    static Path dir;
    static CopyFixture db;

    @BeforeAll
    static void createSource() {
        db = new CopyFixture("projection", dir);
        db.source.execute(
                "CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL, region text)",
                "INSERT INTO public.users SELECT g, 'u' || g || '@example.com', CASE WHEN g % 3 = 0 THEN 'eu' END"
                        + " FROM generate_series(1, 5000) g");
    }

    @AfterAll
    static void dropDatabases() {
        if (db != null) {
            db.close();
        }
    }

    private static RowSelection project(RowSelection plain) {
        return plain.withProjection("id", "\"id\" + 1000000", null)
                .withProjection("origin", "'src_eu'::text", ColumnShape.of("origin", "text", ColumnShape.CanonicalForm.TEXT))
                .withPredicate("\"id\" % 2 = 0");
    }

    @Test
    void projectedCopyLandsAndVerifiesTheProjectedRows() throws Exception {
        var config = new MigrationConfigLoader().load(db.config);
        CopyRequest request = new CopyRequest(config, "src_eu", TableRef.parse("public.users", "test"), null,
                TableRef.parse("app.users", "test"), false, RunContext.fromEnvironment(db.env(), "projection-1"), 5,
                ProjectionAppliesToCopyAndChecksumTest::project, null);
        CopyResult result = new TableCopy(new ConnectionFactory(db.env(), "test"), new RunSummary("copy")).run(request);

        assertEquals(CopyResult.COPIED, result.status());
        assertEquals(2500, result.rows());
        assertEquals(result.checksum(), result.targetChecksum());
        assertEquals(2500, db.target.count("SELECT count(*) FROM app.users WHERE id > 1000000 AND id % 2 = 0"
                + " AND origin = 'src_eu'"));
        assertEquals(0, db.target.count("SELECT count(*) FROM app.users u WHERE email <> 'u' || (id - 1000000)"
                + " || '@example.com'"));

        // The source checksum is the projected source's, computed independently here; the raw table's differs.
        try (Connection c = new ConnectionFactory(db.env(), "test").open("src_eu")) {
            TableShape shape = new CatalogReader().read(c, new TableRef("public", "users")).orElseThrow();
            Checksum projected = new TableChecksum(project(RowSelection.of(shape, null))).compute(c);
            Checksum raw = new TableChecksum(RowSelection.of(shape, null)).compute(c);
            assertEquals(projected.hex(), result.checksum());
            assertEquals(2500, projected.rows());
            assertNotEquals(raw.hex(), projected.hex());
        }
        assertTrue(db.target.count("SELECT count(*) FROM pg_constraint WHERE conrelid = 'app.users'::regclass"
                + " AND contype = 'p'") == 1, "the source's key is kept when its columns are selected");
    }
}
