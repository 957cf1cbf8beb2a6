package io.tributary.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an archive test needs: a source database (src_eu), the control database (consolidated), a fresh database
 * to restore into (restored), an S3 bucket on the test S3 server (connection archive_s3), and a migration.yaml
 * naming them with the given targets.archive settings.
 */
public final class ArchiveFixture implements AutoCloseable {
    public final ScratchDatabase source;
    public final ScratchDatabase control;
    public final ScratchDatabase restored;
    public final String bucket;
    public final Path config;
    private final Map<String, String> env = new HashMap<>();

    public ArchiveFixture(String purpose, Path dir, String archiveSettings) {
        String s3 = MotoS3.uri();
        this.source = TestPostgres.createDatabase(purpose + "_src");
        this.control = TestPostgres.createDatabase(purpose + "_ctl");
        this.restored = TestPostgres.createDatabase(purpose + "_restored");
        this.bucket = MotoS3.bucket(purpose);
        this.config = dir.resolve("migration.yaml");
        writeConfig(archiveSettings);
        env.put("TRIBUTARY_CONN_SRC_EU", source.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", control.uri());
        env.put("TRIBUTARY_CONN_RESTORED", restored.uri());
        env.put("TRIBUTARY_CONN_ARCHIVE_S3", s3);
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    /** Rewrites migration.yaml with other targets.archive settings (indented YAML lines). */
    public void writeConfig(String archiveSettings) {
        try {
            Files.writeString(config, """
                    version: 1
                    project: test
                    control:
                      connection: consolidated
                      schema: tributary
                    sources:
                      - id: src_eu
                    targets:
                      consolidated:
                        connection: consolidated
                      archive:
                        connection: archive_s3
                        bucket: %s
                        prefix: archive
                    %s
                    """.formatted(bucket, archiveSettings.indent(4).stripTrailing()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Map<String, String> env() {
        return env;
    }

    public CliRun run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = args[0];
        all[1] = "--config=" + config;
        System.arraycopy(args, 1, all, 2, args.length - 1);
        return CliRun.run(env, all);
    }

    public CliRun archive(String table, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("archive", "--source", "src_eu", "--table", table));
        args.addAll(List.of(extra));
        if (!args.contains("--run-id")) {
            args.addAll(List.of("--run-id", "run-1"));
        }
        return run(args.toArray(String[]::new));
    }

    @Override
    public void close() {
        try {
            source.close();
        } finally {
            try {
                control.close();
            } finally {
                restored.close();
            }
        }
    }
}
