package io.tributary.cdc;

import io.tributary.catalog.TableRef;
import io.tributary.result.JobFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * What a source must offer before a follower creates anything on it: wal_level=logical, a role with the
 * REPLICATION attribute, and for every followed table a replica identity that lets UPDATE and DELETE be found
 * again (a primary key, an identity index, or FULL). Every problem is listed at once, each with the fix.
 * Checking first matters: a publication on a table without replica identity makes the source refuse the
 * applications' own UPDATEs and DELETEs.
 */
final class SourceReadiness {
    private SourceReadiness() {
    }

    static void check(Connection source, String sourceId, Collection<TableRef> tables) throws SQLException {
        List<String> problems = new ArrayList<>();
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('wal_level'), current_user,"
                        + " (SELECT rolreplication OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)")) {
            rs.next();
            if (!"logical".equals(rs.getString(1))) {
                problems.add("source " + sourceId + " has wal_level=" + rs.getString(1)
                        + ": set wal_level = logical in its postgresql.conf and restart it");
            }
            if (!rs.getBoolean(3)) {
                problems.add("role " + rs.getString(2) + " on source " + sourceId + " lacks the REPLICATION attribute:"
                        + " ALTER ROLE " + io.tributary.catalog.Identifiers.quote(rs.getString(2)) + " REPLICATION");
            }
        }
        for (TableRef table : tables) {
            try (PreparedStatement ps = source.prepareStatement("SELECT c.relkind, c.relreplident,"
                    + " EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),"
                    + " EXISTS (SELECT FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)"
                    + " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE n.nspname = ? AND c.relname = ?")) {
                ps.setString(1, table.schema());
                ps.setString(2, table.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        problems.add("table " + table + " does not exist in " + sourceId);
                        continue;
                    }
                    String kind = rs.getString(1);
                    if (!"r".equals(kind) && !"p".equals(kind)) {
                        problems.add(table + " in " + sourceId + " is not a table (relkind " + kind + ")");
                        continue;
                    }
                    String identity = rs.getString(2);
                    boolean primaryKey = rs.getBoolean(3);
                    boolean identityIndex = rs.getBoolean(4);
                    if ("n".equals(identity) || ("d".equals(identity) && !primaryKey)
                            || ("i".equals(identity) && !identityIndex)) {
                        problems.add("table " + table + " in " + sourceId + " has no usable replica identity"
                                + " (UPDATE and DELETE could not be followed): add a primary key, or ALTER TABLE "
                                + table.quoted() + " REPLICA IDENTITY USING INDEX <a unique index on NOT NULL"
                                + " columns>, or ALTER TABLE " + table.quoted() + " REPLICA IDENTITY FULL");
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw JobFailure.badInput(String.join("; ", problems));
        }
    }
}
