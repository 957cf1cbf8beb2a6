package io.tributary.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.RequiresPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A value that cannot be written, found well into the export (after several multipart parts were sent), fails the
 * archive with nothing left behind: no object (closing the Parquet writer used to complete a truncated file) and no
 * catalog entry. Stage writes through the same export.
 */
@RequiresPostgres
class AFailedExportLeavesNoObjectTest {
    @TempDir
    static Path dir;
    static ArchiveFixture db;

    @BeforeAll
    static void createTables() {
        db = new ArchiveFixture("archive_fails_midway", dir, """
                encryption: AES256
                rows_per_file: 1000000
                """);
        // ~12 MB of incompressible text before the bad row: at least two 8 MiB parts are uploaded first.
        db.source.execute("CREATE TABLE public.ledger_2016 (id int PRIMARY KEY, at timestamptz, memo text)",
                "INSERT INTO public.ledger_2016 SELECT g, timestamptz '2016-01-01' + g * interval '1 minute',"
                        + " (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 12) i)"
                        + " FROM generate_series(1, 40000) g",
                "UPDATE public.ledger_2016 SET at = 'infinity' WHERE id = 39000");
    }

    @AfterAll
    static void drop() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void nothingIsLeftInTheBucketOrTheCatalog() {
        CliRun run = db.archive("public.ledger_2016", "--run-id", "midway");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.json().get("error").asText().contains("infinity"), run.toString());
        try (ObjectStore store = ObjectStore.open(db.env(), "archive_s3")) {
            assertEquals(java.util.List.of(), store.list(new S3Location(db.bucket, "archive/src_eu/public/ledger_2016/"))
                    .stream().map(o -> o.key()).toList(), "no object under the table's folder");
        }
        assertEquals("0", db.control.query("SELECT count(*) FROM tributary.archive_catalog WHERE archive_id LIKE"
                + " '%ledger_2016%'"));
    }
}
