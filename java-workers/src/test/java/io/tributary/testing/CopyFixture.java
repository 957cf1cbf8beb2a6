package io.tributary.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A source database (connection src_eu) and a consolidated database (connection consolidated, holding the
 * control schema), a migration.yaml naming them, and the environment a worker would get.
 */
public final class CopyFixture implements AutoCloseable {
    public final ScratchDatabase source;
    public final ScratchDatabase target;
    public final Path config;
    private final Map<String, String> env = new HashMap<>();

    public CopyFixture(String purpose, Path dir) {
        this(purpose, dir, TestPostgres.uri());
    }

    /** The same with the consolidated database on another instance, reached by {@code targetAdmin} (e.g. a private one). */
    public CopyFixture(String purpose, Path dir, String targetAdmin) {
        ScratchDatabase src = TestPostgres.createDatabase(purpose + "_src");
        ScratchDatabase dst;
        try {
            dst = TestPostgres.createDatabaseOn(targetAdmin, purpose + "_dst");
        } catch (RuntimeException e) {
            src.close();
            throw e;
        }
        this.source = src;
        this.target = dst;
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

    public CliRun copy(String table, String... extra) {
        String[] args = new String[6 + extra.length];
        args[0] = "copy";
        args[1] = "--config=" + config;
        args[2] = "--source";
        args[3] = "src_eu";
        args[4] = "--table";
        args[5] = table;
        System.arraycopy(extra, 0, args, 6, extra.length);
        return CliRun.run(env, args);
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
