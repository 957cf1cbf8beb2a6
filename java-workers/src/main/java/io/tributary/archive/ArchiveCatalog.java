package io.tributary.archive;

import io.tributary.ledger.ControlSchema;
import io.tributary.result.ResultWriter;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The archive catalog in the control schema ({@code archive_catalog}): one row per archived table and run,
 * holding the full {@link CatalogEntry} plus the columns search and restore look up.
 */
public final class ArchiveCatalog {
    private final ControlSchema schema;

    public ArchiveCatalog(ControlSchema schema) {
        this.schema = schema;
    }

    /** Inserts or replaces the row of this entry (keyed by archive id), in the caller's transaction. */
    public void save(Connection c, CatalogEntry e) throws SQLException {
        String sql = "INSERT INTO " + schema.table("archive_catalog") + " AS a"
                + " (archive_id, instance, source_schema, source_table, run_id, status, class, location,"
                + "  column_names, tags, rows, bytes, source_checksum, archive_checksum, storage_class, encryption,"
                + "  retain_until, triggered_by, airflow_run_id, archived_at, verified_at, source_dropped_at, entry)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?::date, ?, ?, ?::timestamptz,"
                + "  ?::timestamptz, ?::timestamptz, ?::jsonb)"
                + " ON CONFLICT (archive_id) DO UPDATE SET status = EXCLUDED.status, class = EXCLUDED.class,"
                + "  location = EXCLUDED.location, column_names = EXCLUDED.column_names, tags = EXCLUDED.tags,"
                + "  rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, source_checksum = EXCLUDED.source_checksum,"
                + "  archive_checksum = EXCLUDED.archive_checksum, storage_class = EXCLUDED.storage_class,"
                + "  encryption = EXCLUDED.encryption, retain_until = EXCLUDED.retain_until,"
                + "  triggered_by = EXCLUDED.triggered_by, airflow_run_id = EXCLUDED.airflow_run_id,"
                + "  archived_at = EXCLUDED.archived_at, verified_at = EXCLUDED.verified_at,"
                + "  source_dropped_at = EXCLUDED.source_dropped_at, entry = EXCLUDED.entry, updated_at = now()";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, e.archiveId());
            ps.setString(i++, e.source().instance());
            ps.setString(i++, e.source().schema());
            ps.setString(i++, e.source().table());
            ps.setString(i++, e.lineage().runId());
            ps.setString(i++, e.status());
            ps.setString(i++, e.classification() == null ? null : e.classification().tableClass());
            ps.setString(i++, e.data().location());
            ps.setArray(i++, c.createArrayOf("text", e.columns().stream().map(CatalogEntry.Column::name).toArray()));
            ps.setString(i++, json(e.storage().tags() == null ? Map.of() : e.storage().tags()));
            ps.setLong(i++, e.data().rows());
            ps.setLong(i++, e.data().bytes());
            ps.setString(i++, e.checksum().source() == null ? null : e.checksum().source().checksum());
            ps.setString(i++, e.checksum().archive() == null ? null : e.checksum().archive().checksum());
            ps.setString(i++, e.storage().storageClass());
            ps.setString(i++, e.storage().encryption());
            ps.setString(i++, e.retention().retainUntil());
            ps.setString(i++, e.lineage().triggeredBy());
            ps.setString(i++, e.lineage().airflowRunId());
            ps.setString(i++, e.lineage().archivedAt());
            ps.setString(i++, e.checksum().archive() == null ? null : e.checksum().archive().computedAt());
            ps.setString(i++, e.retention().sourceDroppedAt());
            ps.setString(i++, e.toJson());
            ps.executeUpdate();
        }
    }

    /** Removes an entry that was written but never verified (its read-back could not run). */
    public void forgetUnverified(Connection c, String archiveId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + schema.table("archive_catalog")
                + " WHERE archive_id = ? AND status = ?")) {
            ps.setString(1, archiveId);
            ps.setString(2, CatalogEntry.WRITTEN);
            ps.executeUpdate();
        }
    }

    public Optional<CatalogEntry> find(Connection c, String archiveId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT entry::text FROM " + schema.table("archive_catalog") + " WHERE archive_id = ?")) {
            ps.setString(1, archiveId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(CatalogEntry.fromJson(rs.getString(1))) : Optional.empty();
            }
        }
    }

    /** The newest verified archive of a table, if any. */
    public Optional<CatalogEntry> latestVerified(Connection c, String instance, String sourceSchema, String table)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT entry::text FROM " + schema.table("archive_catalog")
                + " WHERE instance = ? AND source_schema = ? AND source_table = ? AND status = 'verified'"
                + " ORDER BY archived_at DESC, archive_id DESC LIMIT 1")) {
            ps.setString(1, instance);
            ps.setString(2, sourceSchema);
            ps.setString(3, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(CatalogEntry.fromJson(rs.getString(1))) : Optional.empty();
            }
        }
    }

    /**
     * What {@code catalog search} matches. Every criterion is optional; given ones must all hold. Name and
     * column are case-insensitive globs ({@code *}, {@code ?}); a tag is {@code key} or {@code key=value}.
     */
    public record Criteria(String name, String tag, String column, String tableClass, LocalDate since,
            LocalDate until, String status, int limit) {
    }

    /** One search hit: enough to pick an entry and restore it. */
    public record Hit(String archiveId, String instance, String table, String status, String tableClass, long rows,
            long bytes, String sourceChecksum, String archiveChecksum, String storageClass, String location,
            String archivedAt, String retainUntil, String sourceDroppedAt, List<String> matchedColumns,
            Map<String, Object> tags) {
    }

    public List<Hit> search(Connection c, Criteria q) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT archive_id, instance, source_schema || '.' || source_table, status,"
                + " class, rows, bytes, source_checksum, archive_checksum, storage_class, location, archived_at,"
                + " retain_until::text, source_dropped_at, column_names, tags::text FROM "
                + schema.table("archive_catalog") + " WHERE true");
        List<Object> args = new ArrayList<>();
        if (q.name() != null) {
            // instance.schema.table, schema.table or the bare table name may match
            sql.append(" AND (instance || '.' || source_schema || '.' || source_table ILIKE ? ESCAPE '\\'"
                    + " OR source_schema || '.' || source_table ILIKE ? ESCAPE '\\' OR source_table ILIKE ? ESCAPE '\\')");
            String like = like(q.name());
            args.add(like);
            args.add(like);
            args.add(like);
        }
        if (q.column() != null) {
            sql.append(" AND EXISTS (SELECT FROM unnest(column_names) AS col WHERE col ILIKE ? ESCAPE '\\')");
            args.add(like(q.column()));
        }
        if (q.tag() != null) {
            int eq = q.tag().indexOf('=');
            if (eq < 0) {
                sql.append(" AND pg_catalog.jsonb_exists(tags, ?)");
                args.add(q.tag());
            } else {
                sql.append(" AND tags @> jsonb_build_object(?::text, ?::text)");
                args.add(q.tag().substring(0, eq));
                args.add(q.tag().substring(eq + 1));
            }
        }
        if (q.tableClass() != null) {
            sql.append(" AND class = ?");
            args.add(q.tableClass());
        }
        if (q.since() != null) {
            sql.append(" AND archived_at >= ?::date");
            args.add(q.since().toString());
        }
        if (q.until() != null) {
            sql.append(" AND archived_at < ?::date + 1");
            args.add(q.until().toString());
        }
        if (q.status() != null) {
            sql.append(" AND status = ?");
            args.add(q.status());
        }
        sql.append(" ORDER BY archived_at DESC, archive_id LIMIT ").append(Math.max(1, q.limit()));
        List<Hit> hits = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setString(i + 1, (String) args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Array cols = rs.getArray(15);
                    List<String> columns = List.of((String[]) cols.getArray());
                    List<String> matched = q.column() == null ? List.of()
                            : columns.stream().filter(n -> globMatches(q.column(), n)).toList();
                    hits.add(new Hit(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getLong(6), rs.getLong(7), rs.getString(8), rs.getString(9),
                            rs.getString(10), rs.getString(11), iso(rs.getTimestamp(12)), rs.getString(13),
                            iso(rs.getTimestamp(14)), matched, tags(rs.getString(16))));
                }
            }
        }
        return hits;
    }

    /** A glob ({@code *}, {@code ?}) as a LIKE pattern with {@code \} as the escape character. */
    static String like(String glob) {
        StringBuilder out = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> out.append('%');
                case '?' -> out.append('_');
                case '%', '_', '\\' -> out.append('\\').append(ch);
                default -> out.append(ch);
            }
        }
        return out.toString();
    }

    static boolean globMatches(String glob, String text) {
        StringBuilder regex = new StringBuilder("(?i)");
        for (char ch : glob.toCharArray()) {
            switch (ch) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(java.util.regex.Pattern.quote(String.valueOf(ch)));
            }
        }
        return text.matches(regex.toString());
    }

    private static String iso(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> tags(String json) {
        try {
            return ResultWriter.json().readValue(json, Map.class);
        } catch (java.io.IOException e) {
            return Map.of();
        }
    }

    private static String json(Object value) {
        try {
            return ResultWriter.json().writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String now() {
        return OffsetDateTime.now(java.time.ZoneOffset.UTC).withNano(0).toString();
    }
}
