package io.tributary.discover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Usage since the last statistics reset: pg_stat_user_tables and pg_statio_user_tables (a partitioned
 * table sums its partitions), plus calls from pg_stat_statements when that extension is installed.
 */
final class UsageSnapshot {
    private static final String[] COUNTERS = {"seq_scan", "idx_scan", "n_tup_ins", "n_tup_upd", "n_tup_del", "n_live_tup"};
    private static final String[] TIMES = {"last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze"};
    /** Statements that touch rows; DDL and maintenance (CREATE, ALTER, ANALYZE, ...) are not usage. */
    private static final Pattern DML = Pattern.compile("^\\s*(?:/\\*.*?\\*/\\s*)*(select|insert|update|delete|with|merge|copy|table)\\b",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    /** Identifiers in SQL text: quoted or plain, so "public"."users" and public.users both name users. */
    private static final Pattern IDENTIFIER = Pattern.compile("\"((?:[^\"]|\"\")+)\"|([\\p{L}_][\\p{L}\\p{N}_$]*)");

    private final Connection c;

    UsageSnapshot(Connection c) {
        this.c = c;
    }

    void read(Map<Long, ScannedTable> tables, JsonNode extensions) throws SQLException {
        if (tables.isEmpty()) {
            return;
        }
        StringBuilder select = new StringBuilder("SELECT root.oid::int8");
        for (String counter : COUNTERS) {
            select.append(", pg_catalog.sum(s.").append(counter).append(")::int8");
        }
        for (String time : TIMES) {
            select.append(", pg_catalog.to_json(pg_catalog.max(s.").append(time).append("))#>>'{}'");
        }
        select.append(", pg_catalog.sum(io.heap_blks_read)::int8, pg_catalog.sum(io.heap_blks_hit)::int8")
                .append(", pg_catalog.sum(io.idx_blks_read)::int8, pg_catalog.sum(io.idx_blks_hit)::int8")
                .append(" FROM pg_catalog.pg_class root")
                .append(" ").append(InstanceScanner.TREE)
                .append(" JOIN pg_catalog.pg_stat_user_tables s ON s.relid = t.relid")
                .append(" LEFT JOIN pg_catalog.pg_statio_user_tables io ON io.relid = t.relid")
                .append(" WHERE root.oid = ANY (CAST(? AS pg_catalog.oid[])) GROUP BY 1");
        try (PreparedStatement ps = c.prepareStatement(select.toString())) {
            ps.setArray(1, InstanceScanner.oids(c, tables.keySet()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode usage = tables.get(rs.getLong(1)).node.putObject("usage");
                    int col = 2;
                    for (String counter : COUNTERS) {
                        putLong(usage, counter, rs, col++);
                    }
                    for (String time : TIMES) {
                        usage.put(time, rs.getString(col++));
                    }
                    putLong(usage, "heap_blks_read", rs, col++);
                    putLong(usage, "heap_blks_hit", rs, col++);
                    putLong(usage, "idx_blks_read", rs, col++);
                    putLong(usage, "idx_blks_hit", rs, col);
                    usage.putNull("statement_calls");
                }
            }
        }
        for (ScannedTable t : tables.values()) {
            if (!t.node.has("usage")) {
                t.node.putNull("usage");
            }
        }
        String statementsSchema = null;
        for (JsonNode e : extensions) {
            if ("pg_stat_statements".equals(e.path("name").asText())) {
                statementsSchema = e.path("schema").asText();
            }
        }
        if (statementsSchema != null) {
            statements(tables, statementsSchema);
        }
    }

    private static void putLong(ObjectNode node, String key, ResultSet rs, int col) throws SQLException {
        long v = rs.getLong(col);
        if (rs.wasNull()) {
            node.putNull(key);
        } else {
            node.put(key, v);
        }
    }

    /**
     * Best effort: a statement counts for a table when its text names the table (or one of its partitions).
     * Statements the scanner itself ran are marked and skipped.
     */
    private void statements(Map<Long, ScannedTable> tables, String schema) throws SQLException {
        Map<String, List<ScannedTable>> byName = new HashMap<>();
        Map<Long, String> partitionNames = partitionNames(tables);
        for (ScannedTable t : tables.values()) {
            byName.computeIfAbsent(t.ref.name().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(t);
        }
        partitionNames.forEach((leaf, name) -> {
            for (ScannedTable t : tables.values()) {
                if (t.partitioned && t.leaves.contains(leaf)) {
                    byName.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(t);
                }
            }
        });
        Map<ScannedTable, Long> calls = new HashMap<>();
        Savepoint savepoint = c.getAutoCommit() ? null : c.setSavepoint();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(InstanceScanner.MARKER
                + "SELECT s.query, s.calls FROM " + Identifiers.quote(schema) + ".pg_stat_statements s"
                + " WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())")) {
            while (rs.next()) {
                String query = rs.getString(1);
                if (query == null || query.contains("tributary:") || !DML.matcher(query).find()) {
                    continue;
                }
                long n = rs.getLong(2);
                java.util.Set<ScannedTable> named = new java.util.HashSet<>();
                Matcher m = IDENTIFIER.matcher(query);
                while (m.find()) {
                    String id = m.group(1) != null ? m.group(1).replace("\"\"", "\"") : m.group(2).toLowerCase(Locale.ROOT);
                    List<ScannedTable> hit = byName.get(id.toLowerCase(Locale.ROOT));
                    if (hit != null) {
                        named.addAll(hit);
                    }
                }
                named.forEach(t -> calls.merge(t, n, Long::sum));
            }
        } catch (SQLException e) {
            // e.g. not in shared_preload_libraries: the counts stay null, the rest of the inventory is fine.
            if (savepoint != null) {
                c.rollback(savepoint);
            }
            InstanceScanner.log().warning("pg_stat_statements is installed but not readable, statement_calls left"
                    + " empty: " + e.getMessage());
            return;
        }
        for (ScannedTable t : tables.values()) {
            if (t.node.get("usage") instanceof ObjectNode usage) {
                usage.put("statement_calls", calls.getOrDefault(t, 0L));
            }
        }
    }

    private Map<Long, String> partitionNames(Map<Long, ScannedTable> tables) throws SQLException {
        List<Long> leaves = new ArrayList<>();
        tables.values().stream().filter(t -> t.partitioned).forEach(t -> leaves.addAll(t.leaves));
        Map<Long, String> out = new HashMap<>();
        if (leaves.isEmpty()) {
            return out;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT oid::int8, relname FROM pg_catalog.pg_class WHERE oid = ANY (CAST(? AS pg_catalog.oid[]))")) {
            ps.setArray(1, InstanceScanner.oids(c, leaves));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getString(2));
                }
            }
        }
        return out;
    }
}
