package io.tributary.ledger;

import io.tributary.catalog.Identifiers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The control schema ({@code tributary} by default) in the consolidated PostgreSQL: the one source of
 * truth for progress. Created and upgraded by numbered migrations recorded in {@code schema_version},
 * under an advisory lock so that parallel workers starting at once do not race.
 */
public final class ControlSchema {
    private static final Logger LOG = Logger.getLogger(ControlSchema.class.getName());

    /**
     * Every migration, in the order it is applied. Each capability (core ledger, consolidation, warehouse,
     * archive, ...) numbers its own SQL files under {@code resources/io/tributary/ledger/migrations/<module>/},
     * so work on one capability never renumbers another's. Append only: never edit a released file, add the
     * next one; {@code {s}} stands for the quoted schema name.
     */
    private static final List<Migration> MIGRATIONS = List.of(
            new Migration("core", 1, "001-ledger.sql"),
            new Migration("copy", 1, "001-progress.sql"),
            new Migration("merge", 1, "001-key-remapping.sql"),
            new Migration("archive", 1, "001-archive-catalog.sql"),
            new Migration("warehouse", 1, "001-partitions.sql"),
            new Migration("copy", 2, "002-selection-fingerprint.sql"),
            new Migration("landing", 1, "001-landed-chunks.sql"),
            new Migration("follow", 1, "001-slots.sql"),
            new Migration("cutover", 1, "001-switches.sql"),
            new Migration("core", 2, "002-schema-marker.sql"),
            new Migration("reconcile", 1, "001-passes.sql"),
            new Migration("replay", 1, "001-checks.sql"),
            new Migration("warehouse", 2, "002-stage-receipts.sql"));

    /** The start of the comment core/002 puts on a control schema: what tells Tributary's own schemas apart. */
    public static final String MARKER = "tributary control schema";

    /** SQL over {@code pg_namespace n}: true for a schema carrying the marker, whatever its name. */
    public static final String IS_CONTROL_SCHEMA = "coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '')"
            + " LIKE '" + MARKER + "%'";

    /**
     * The control schemas in a database (a source can hold one: the rollback's reverse follower keeps its own
     * there). Discovery and the whole-schema restore leave them out: bookkeeping is never data to migrate.
     */
    public static List<String> in(Connection connection) throws SQLException {
        List<String> names = new java.util.ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE " + IS_CONTROL_SCHEMA + " ORDER BY 1")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    record Migration(String module, int version, String file) {
        String sql(String quotedSchema) {
            String path = "migrations/" + module + "/" + file;
            try (InputStream in = ControlSchema.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("control schema migration missing from the jar: " + path);
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{s}", quotedSchema);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

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

    /** How many migrations this build knows; each one applied is a row of {@code schema_version}. */
    public static int migrationCount() {
        return MIGRATIONS.size();
    }

    /**
     * Creates or upgrades the control schema. Runs (and commits) its own transaction, so call it before
     * a job's own transaction begins.
     */
    public void ensure(Connection connection) throws SQLException {
        if (exists(connection) && pending(connection).isEmpty()) {
            return;
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            ensureWithin(connection);
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** Creates or upgrades the control schema inside the caller's open transaction (a dry run rolls it back). */
    public void ensureWithin(Connection connection) throws SQLException {
        if (exists(connection) && pending(connection).isEmpty()) {
            return;
        }
        try (Statement st = connection.createStatement()) {
            try (PreparedStatement lock = connection.prepareStatement(
                    "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(?, 0))")) {
                lock.setString(1, "tributary control schema " + schema);
                lock.execute();
            }
            st.execute("CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(schema));
            st.execute("CREATE TABLE IF NOT EXISTS " + table("schema_version") + " ("
                    + " module text NOT NULL,"
                    + " version integer NOT NULL,"
                    + " applied_at timestamptz NOT NULL DEFAULT now(),"
                    + " PRIMARY KEY (module, version))");
            for (Migration m : pending(connection)) {
                st.execute(m.sql(Identifiers.quote(schema)));
                try (PreparedStatement ps = connection.prepareStatement(
                        "INSERT INTO " + table("schema_version") + " (module, version) VALUES (?, ?)")) {
                    ps.setString(1, m.module());
                    ps.setInt(2, m.version());
                    ps.execute();
                }
                LOG.info("control schema " + schema + ": applied migration " + m.module() + "/" + m.file());
            }
        }
    }

    /** True when the control schema has been created (read-only commands must not create it). */
    public boolean exists(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_catalog.to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table("schema_version"));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** True when the control schema exists with every migration applied (nothing for {@link #ensure} to do). */
    public boolean isCurrent(Connection connection) throws SQLException {
        return exists(connection) && pending(connection).isEmpty();
    }

    private List<Migration> pending(Connection connection) throws SQLException {
        Set<String> applied = new HashSet<>();
        if (exists(connection)) {
            try (Statement st = connection.createStatement();
                    ResultSet rs = st.executeQuery("SELECT module, version FROM " + table("schema_version"))) {
                while (rs.next()) {
                    applied.add(rs.getString(1) + "/" + rs.getInt(2));
                }
            }
        }
        return MIGRATIONS.stream().filter(m -> !applied.contains(m.module() + "/" + m.version())).toList();
    }
}
