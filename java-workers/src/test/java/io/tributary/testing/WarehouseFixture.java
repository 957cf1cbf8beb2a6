package io.tributary.testing;

import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What a warehouse test needs: a source database (src_eu), a PostgreSQL warehouse (the stand-in dialect, also
 * holding the control schema), a staging bucket on the stack's S3, and a migration.yaml naming them with the
 * given {@code targets.warehouse.tables} entries. Closing empties the bucket and drops both databases.
 */
public final class WarehouseFixture implements AutoCloseable {
    public final ScratchDatabase source;
    public final ScratchDatabase warehouse;
    public final ObjectStore store;
    public final String bucket;
    public final Path config;
    private final Map<String, String> env = new HashMap<>();

    /** @param tables YAML list items of targets.warehouse.tables, one per line ("- {source: ..., table: ...}") */
    public WarehouseFixture(String purpose, Path dir, String tables) {
        this.source = TestPostgres.createDatabase(purpose + "_src");
        this.warehouse = TestPostgres.createDatabase(purpose + "_dst");
        this.store = TestS3.open();
        this.bucket = TestS3.bucket(purpose);
        this.config = dir.resolve("migration.yaml");
        try {
            Files.writeString(config, """
                    version: 1
                    project: test
                    control: {connection: consolidated, schema: tributary}
                    sources: [{id: src_eu}]
                    targets:
                      consolidated: {connection: consolidated}
                      warehouse:
                        connection: warehouse
                        dialect: postgres
                        schema: market
                        staging_connection: s3
                        staging_bucket: %s
                        staging_prefix: wh
                        slices: 2
                        multipart_part_mb: 5
                        tables:
                    %s
                    """.formatted(bucket, tables.strip().indent(6).stripTrailing()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        env.putAll(TestS3.env());
        env.put("TRIBUTARY_CONN_SRC_EU", source.uri());
        env.put("TRIBUTARY_CONN_WAREHOUSE", warehouse.uri());
        env.put("TRIBUTARY_CONN_CONSOLIDATED", warehouse.uri()); // control schema beside the warehouse tables
        env.put("TRIBUTARY_ACTOR", "junit");
    }

    public Map<String, String> env() {
        return env;
    }

    public CliRun run(String... args) {
        return CliRun.run(env, args);
    }

    @Override
    public void close() {
        try {
            TestS3.empty(store, bucket);
            store.close();
        } finally {
            try {
                source.close();
            } finally {
                warehouse.close();
            }
        }
    }
}
