package io.tributary.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import io.tributary.testing.ArchiveFixture;
import io.tributary.testing.CliRun;
import io.tributary.testing.CopyFixture;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.WarehouseFixture;
import io.tributary.testing.WorkerJvm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's temp folder ({@code -Djava.io.tmpdir}) on a small filesystem (a 2 MB tmpfs) that is full: every
 * command that writes local files there stops with exit 4 (an environment fault, retried), a message naming the
 * folder and how to choose another, no temp file left behind and nothing half-done (no object, catalog entry,
 * loaded row or restored table); once space is freed, the same command ends verified (re-run in this JVM, to keep the
 * test short: what matters is what the failed run left). Needs root to mount the
 * tmpfs (CI runs as root); skipped, saying so, only when not root or the mount is refused.
 */
@RequiresPostgres
class FullTempFolderIsExitFourTest {
    static final String FROM = "2026-06-01T00:00:00+00:00";
    static final String TO = "2026-06-02T00:00:00+00:00";
    static final long ROWS = 3_000;

    @TempDir
    static Path dir;
    static Path small;
    static boolean mounted;

    @BeforeAll
    static void mountSmallFilesystem() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "mounting a small tmpfs as the worker's temp folder needs root (CI runs as root)");
        small = Files.createDirectories(dir.resolve("small-tmp"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes());
        assumeTrue(mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "mount -t tmpfs refused here (" + said.strip() + "): the full-temp-folder test needs it");
        mounted = true;
    }

    @AfterAll
    static void unmount() throws Exception {
        if (mounted) {
            Process umount = new ProcessBuilder("umount", small.toString()).inheritIO().start();
            assertTrue(umount.waitFor(30, TimeUnit.SECONDS) && umount.exitValue() == 0, "umount " + small);
        }
    }

    /** Writes a filler file until the filesystem is full. */
    static Path fill() throws IOException {
        return fill(0);
    }

    /** Fills the filesystem, then gives back {@code leave} bytes. */
    static Path fill(long leave) throws IOException {
        Path filler = small.resolve("filler");
        byte[] block = new byte[16 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            assertTrue(e.getMessage().contains("No space left on device"), e.toString());
        }
        try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.WRITE)) {
            channel.truncate(Math.max(0, channel.size() - leave));
        }
        return filler;
    }

    /** Bytes of the native library zstd-jni unpacks into the temp folder on first use (this platform's). */
    static long zstdLibraryBytes() throws Exception {
        Path jar = Path.of(com.github.luben.zstd.util.Native.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI());
        String folder = "linux/" + System.getProperty("os.arch") + "/";
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.stream().filter(e -> e.getName().startsWith(folder) && e.getName().endsWith(".so"))
                    .mapToLong(ZipEntry::getSize).max().orElseThrow();
        }
    }

    /** What is in the temp folder besides the filler: nothing may be left behind. */
    static List<String> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(small)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("filler")).sorted().toList();
        }
    }

    /** Rows of {@code table}, 0 when it does not exist. */
    static long countIfExists(ScratchDatabase db, String table) {
        return db.query("SELECT to_regclass('" + table + "')") == null ? 0
                : db.count("SELECT count(*) FROM " + table);
    }

    static CliRun worker(Map<String, String> env, String... args) throws Exception {
        return WorkerJvm.run(env, List.of("-Djava.io.tmpdir=" + small), dir, args);
    }

    static void assertFullFolderIsExitFour(CliRun run) throws IOException {
        assertEquals(4, run.exitCode(), run.toString());
        String error = run.json().get("error").asText();
        assertTrue(error.contains("the worker's temp folder " + small + " is full (No space left on device)"), error);
        assertTrue(error.contains("-Djava.io.tmpdir="), error);
        assertEquals(List.of(), leftovers(), "no temp file left behind");
    }

    @Test
    void stageThenLoad() throws Exception {
        try (WarehouseFixture fx = new WarehouseFixture("full_tmp", dir,
                "- {source: src_eu, table: market.ticks, partition_column: ts}")) {
            fx.source.execute("CREATE SCHEMA market",
                    "CREATE TABLE market.ticks (id bigint, note text, ts timestamptz)",
                    "INSERT INTO market.ticks SELECT i, md5(i::text) || md5((i * 3)::text),"
                            + " '2026-06-01 00:00+00'::timestamptz + i * interval '1 second'"
                            + " FROM generate_series(0, " + (ROWS - 1) + ") i");
            fx.store.ensureBucket(fx.bucket);
            String[] stage = {"stage", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.ticks", "--from", FROM, "--to", TO, "--run-id", "junit-full"};
            S3Location table = new S3Location(fx.bucket, "wh/src_eu/market.ticks/");
            // stage writes no file of its own locally, but its Parquet codec (zstd-jni) unpacks its native library
            Path filler = fill();
            assertFullFolderIsExitFour(worker(fx.env(), stage));
            assertEquals(List.of(), fx.store.list(table), "no object, whole or truncated");
            assertTrue(fx.store.incompleteUploads(table).isEmpty(), "no upload begun");
            assertEquals(0, countIfExists(fx.warehouse, "tributary.warehouse_stages"), "no receipt");

            Files.delete(filler); // the re-runs, in this JVM (its own temp folder): only the outcome differs
            CliRun staged = fx.run(stage);
            assertEquals(0, staged.exitCode(), staged.toString());
            String manifest = staged.json().get("manifest").asText();
            String[] load = {"load", "--config", fx.config.toString(), "--source", "src_eu", "--table",
                "market.ticks", "--manifest", manifest, "--from", FROM, "--to", TO, "--run-id", "junit-full"};

            filler = fill();
            assertFullFolderIsExitFour(worker(fx.env(), load));
            assertEquals("staged", fx.warehouse.query("SELECT status FROM tributary.warehouse_partitions"));
            assertEquals(0, countIfExists(fx.warehouse, "market.ticks"), "no row loaded");

            Files.delete(filler);
            CliRun loaded = fx.run(load);
            assertEquals(0, loaded.exitCode(), loaded.toString());
            assertEquals(staged.json().get("checksum").asText(), loaded.json().get("checksum").asText());
            assertEquals(ROWS, fx.warehouse.count("SELECT count(*) FROM market.ticks"));
            assertEquals(List.of(), leftovers());
        }
    }

    @Test
    void schemaWhole() throws Exception {
        try (CopyFixture db = new CopyFixture("full_tmp_whole", dir)) {
            db.source.execute("CREATE SCHEMA app", "CREATE TABLE app.notes (id int PRIMARY KEY, body text)",
                    "COMMENT ON TABLE app.notes IS 'restored from the dump'");
            String[] schema = {"schema", "--config=" + db.config, "--phase", "pre-data", "--whole", "--source", "src_eu"};
            // pg_dump writes the source's schema into the temp folder, then pg_restore reads it back
            Path filler = fill();
            assertFullFolderIsExitFour(worker(db.env(), schema));
            assertNull(db.target.query("SELECT to_regnamespace('app')"), "nothing restored");

            Files.delete(filler);
            CliRun restored = CliRun.run(db.env(), schema);
            assertEquals(0, restored.exitCode(), restored.toString());
            assertEquals("restored from the dump", db.target.query("SELECT obj_description('app.notes'::regclass)"));
        }
    }

    @Test
    void archiveThenRestore() throws Exception {
        try (ArchiveFixture db = new ArchiveFixture("full_tmp", dir, "encryption: AES256\n")) {
            db.source.execute("CREATE TABLE public.old_events (id bigint PRIMARY KEY, payload text)",
                    "INSERT INTO public.old_events SELECT i, md5(i::text) || md5((i + 1)::text)"
                            + " FROM generate_series(1, " + ROWS + ") i");
            Map<String, String> env = db.env();
            String[] archive = {"archive", "--config=" + db.config, "--source", "src_eu", "--table",
                "public.old_events", "--run-id", "run-full"};
            try (ObjectStore store = ObjectStore.open(env, "archive_s3")) {
                store.ensureBucket(db.bucket);
                S3Location folder = new S3Location(db.bucket, "archive/src_eu/public/old_events/run-full/");

                // room for the codec's library, not for the read-back's download: the objects are written first
                Path filler = fill(zstdLibraryBytes() + 32 * 1024);
                CliRun refused = worker(env, archive);
                assertFullFolderIsExitFour(refused);
                assertTrue(refused.stderr().contains("was not verified: its catalog entry and objects are removed"),
                        "the read-back is what found the folder full: " + refused);
                assertEquals(List.of(), store.list(folder).stream().map(o -> o.key()).toList(), "no object kept");
                assertTrue(store.incompleteUploads(folder).isEmpty(), "no upload left unfinished");
                assertEquals(0, countIfExists(db.control, "tributary.archive_catalog"), "no catalog entry");

                Files.delete(filler);
                CliRun archived = CliRun.run(env, archive); // the re-runs in this JVM, to keep the test short
                assertEquals(0, archived.exitCode(), archived.toString());
                JsonNode a = archived.json();
                assertTrue(a.get("verified").asBoolean(), archived.toString());

                String[] restore = {"restore", "--config=" + db.config, "--entry", a.get("archive_id").asText(),
                    "--target", "restored", "--target-table", "back.old_events"};
                filler = fill();
                assertFullFolderIsExitFour(worker(env, restore));
                assertNull(db.restored.query("SELECT to_regclass('back.old_events')::text"), "no half-restored table");

                Files.delete(filler);
                CliRun restored = CliRun.run(env, restore);
                assertEquals(0, restored.exitCode(), restored.toString());
                assertEquals(a.get("checksum").asText(), restored.json().get("checksum").asText());
                assertEquals(ROWS, db.restored.count("SELECT count(*) FROM back.old_events"));
                assertEquals(List.of(), leftovers());
            }
        }
    }
}
