package io.tributary.ledger;

import io.tributary.catalog.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.logging.Logger;

/**
 * The control schema ({@code tributary} by default) in the consolidated PostgreSQL: the one source of
 * truth for progress. Created and upgraded by numbered migrations recorded in {@code schema_version},
 * under an advisory lock so that parallel workers starting at once do not race.
 */
public final class ControlSchema {
    private static final Logger LOG = Logger.getLogger(ControlSchema.class.getName());

    /** Append only: never edit a released migration, add the next one. */
    private static final List<String> MIGRATIONS = List.of("""
            CREATE TABLE {s}.runs (
                run_id          text PRIMARY KEY,
                started_at      timestamptz NOT NULL DEFAULT now(),
                last_seen_at    timestamptz NOT NULL DEFAULT now(),
                actor           text NOT NULL,
                airflow_dag_id  text,
                airflow_run_id  text
            );

            CREATE TABLE {s}.table_status (
                table_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                source          text NOT NULL,
                source_table    text NOT NULL,
                target          text NOT NULL,
                target_table    text NOT NULL,
                status          text NOT NULL
                                CHECK (status IN ('pending', 'copying', 'copied', 'failed', 'mismatch')),
                rows            bigint,
                source_checksum text,
                target_checksum text,
                bytes           bigint,
                attempts        integer NOT NULL DEFAULT 0,
                started_at      timestamptz,
                finished_at     timestamptz,
                run_id          text REFERENCES {s}.runs,
                error           text,
                updated_at      timestamptz NOT NULL DEFAULT now(),
                UNIQUE (source, source_table, target, target_table)
            );
            CREATE INDEX table_status_target_idx ON {s}.table_status (target, target_table);
            CREATE INDEX table_status_run_idx ON {s}.table_status (run_id);

            -- The chunk ledger: one row per key range [key_lo, key_hi) of a table; NULL bounds are open.
            CREATE TABLE {s}.chunks (
                table_id        bigint NOT NULL REFERENCES {s}.table_status ON DELETE CASCADE,
                chunk_no        integer NOT NULL,
                key_column      text,
                key_lo          text,
                key_hi          text,
                status          text NOT NULL
                                CHECK (status IN ('pending', 'copying', 'copied', 'failed', 'mismatch')),
                rows            bigint,
                source_checksum text,
                target_checksum text,
                bytes           bigint,
                attempts        integer NOT NULL DEFAULT 0,
                started_at      timestamptz,
                finished_at     timestamptz,
                run_id          text REFERENCES {s}.runs,
                error           text,
                updated_at      timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (table_id, chunk_no)
            );
            -- resuming asks "which chunks are not done yet"
            CREATE INDEX chunks_unfinished_idx ON {s}.chunks (table_id, chunk_no) WHERE status <> 'copied';

            CREATE TABLE {s}.audit_log (
                id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at              timestamptz NOT NULL DEFAULT clock_timestamp(),
                actor           text NOT NULL,
                action          text NOT NULL,
                detail          jsonb NOT NULL DEFAULT '{}',
                airflow_run_id  text,
                run_id          text
            );
            CREATE FUNCTION {s}.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                RAISE EXCEPTION 'the tributary audit_log is append-only (% refused)', TG_OP;
            END
            $fn$;
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON {s}.audit_log
                FOR EACH ROW EXECUTE FUNCTION {s}.audit_log_is_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {s}.audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION {s}.audit_log_is_append_only();
            """);

    private final String schema;

    public ControlSchema(String schema) {
        this.schema = schema;
    }

    public String name() {
        return schema;
    }

    /** {@code "tributary"."table_status"}. */
    public String table(String name) {
        return Identifiers.qualified(schema, name);
    }

    public static int latestVersion() {
        return MIGRATIONS.size();
    }

    /** True when the control schema has been created (read-only commands must not create it). */
    public boolean exists(Connection connection) throws SQLException {
        return installedVersion(connection) > 0;
    }

    /**
     * Creates or upgrades the control schema. Runs (and commits) its own transaction, so call it before
     * a job's own transaction begins.
     */
    public void ensure(Connection connection) throws SQLException {
        if (installedVersion(connection) >= latestVersion()) {
            return;
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement st = connection.createStatement()) {
            try (PreparedStatement lock = connection.prepareStatement(
                    "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(?, 0))")) {
                lock.setString(1, "tributary control schema " + schema);
                lock.execute();
            }
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema));
            st.execute("CREATE TABLE IF NOT EXISTS " + table("schema_version") + " ("
                    + " version integer PRIMARY KEY,"
                    + " applied_at timestamptz NOT NULL DEFAULT now())");
            int installed = installedVersion(connection);
            for (int v = installed + 1; v <= latestVersion(); v++) {
                st.execute(MIGRATIONS.get(v - 1).replace("{s}", Identifiers.quote(schema)));
                try (PreparedStatement ps = connection.prepareStatement(
                        "INSERT INTO " + table("schema_version") + " (version) VALUES (?)")) {
                    ps.setInt(1, v);
                    ps.execute();
                }
                LOG.info("control schema " + schema + ": applied migration " + v);
            }
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private int installedVersion(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table("schema_version"));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return 0;
                }
            }
        }
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM " + table("schema_version"))) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
