package io.tributary.testing;

import io.tributary.cli.TributaryCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A source database on an instance with wal_level=logical (connection src_eu), a consolidated database (connection
 * consolidated, holding the control schema), a migration.yaml naming them, and helpers to run the follow steps.
 */
public final class FollowFixture implements AutoCloseable {
    public final ScratchDatabase source;
    public final ScratchDatabase target;
    public final Path config;
    private final Path dir;
    private final Map<String, String> env = new HashMap<>();

    public FollowFixture(String purpose, Path dir) {
        this(TestPostgres.createSourceDatabase(purpose + "_src"), purpose, dir);
    }

    /** The same with the source database on another instance, reached by {@code sourceAdmin} (e.g. a private one). */
    public FollowFixture(String purpose, Path dir, String sourceAdmin) {
        this(TestPostgres.createDatabaseOn(sourceAdmin, purpose + "_src"), purpose, dir);
    }

    private FollowFixture(ScratchDatabase src, String purpose, Path dir) {
        ScratchDatabase dst;
        try {
            dst = TestPostgres.createDatabase(purpose + "_dst");
        } catch (RuntimeException e) {
            src.close();
            throw e;
        }
        this.source = src;
        this.target = dst;
        this.dir = dir;
        this.config = dir.resolve("migration.yaml");
        try {
            Files.writeString(config, """
                    version: 1
                    project: test
                    control:
                      connection: consolidated
                      schema: tributary
                    sources:
                      - id: src_eu
                        description: test source
                    targets:
                      consolidated:
                        connection: consolidated
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.put("TRIBUTARY_CONN_SRC_EU", source.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", target.uri());
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    public Map<String, String> env() {
        return env;
    }

    /** {@code tributary follow --config … --source src_eu --table t …} plus {@code extra}, in-process. */
    public CliRun follow(List<String> tables, String... extra) {
        return CliRun.run(env, followArgs(tables, extra).toArray(String[]::new));
    }

    public List<String> followArgs(List<String> tables, String... extra) {
        List<String> args = new ArrayList<>(List.of("follow", "--config=" + config, "--source", "src_eu"));
        for (String t : tables) {
            args.add("--table");
            args.add(t);
        }
        args.addAll(List.of(extra));
        return args;
    }

    /** Starts {@code follow --prepare} in the background; returns once its snapshot is held (or it ended). */
    public CompletableFuture<CliRun> prepare(List<String> tables) throws InterruptedException {
        CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> follow(tables, "--prepare"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (heldSnapshot() == null && !run.isDone()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("follow --prepare never held a snapshot");
            }
            Thread.sleep(50);
        }
        return run;
    }

    /**
     * The start point the follow tests share: {@code follow --prepare}, each table copied in the held snapshot,
     * {@code follow --release}, and --prepare's own exit 0.
     */
    public void copyInTheSlotSnapshot(List<String> tables) throws Exception {
        CompletableFuture<CliRun> prepare = prepare(tables);
        for (String table : tables) {
            requireSuccess(copy(table, "--snapshot", heldSnapshot()));
        }
        requireSuccess(follow(tables, "--release"));
        requireSuccess(prepare.get(60, TimeUnit.SECONDS));
    }

    private static void requireSuccess(CliRun run) {
        if (run.exitCode() != 0) {
            throw new AssertionError(run.toString());
        }
    }

    /** The snapshot id follow --prepare holds, from the control schema (null if none). */
    public String heldSnapshot() {
        if (target.query("SELECT to_regclass('tributary.follow_slots')") == null) {
            return null;
        }
        return target.query("SELECT snapshot_name FROM tributary.follow_slots WHERE state = 'holding'");
    }

    public CliRun copy(String table, String... extra) {
        List<String> args = new ArrayList<>(List.of("copy", "--config=" + config, "--source", "src_eu", "--table",
                table));
        args.addAll(List.of(extra));
        return CliRun.run(env, args.toArray(String[]::new));
    }

    /** The worker as its own JVM (what Airflow launches), output to {@code log}. */
    public Process start(List<String> args, Path log) throws IOException {
        return start(List.of(), args, log);
    }

    /** The same, with JVM options (e.g. a heap limit). */
    public Process start(List<String> jvmOptions, List<String> args, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TributaryCommand.class.getName()));
        command.addAll(args);
        ProcessBuilder worker = new ProcessBuilder(command);
        worker.environment().putAll(env);
        worker.redirectErrorStream(true);
        worker.redirectOutput(log.toFile());
        return worker.start();
    }

    public Path dir() {
        return dir;
    }

    /** Rows of a table as one ordered text, to compare source and target exactly. */
    public static String rows(ScratchDatabase db, String table, String orderBy) {
        return db.query("SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY " + orderBy + "), '') FROM " + table + " t");
    }

    @Override
    public void close() {
        try {
            source.close();
        } finally {
            target.close();
        }
    }
}
