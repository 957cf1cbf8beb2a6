package io.tributary.warehouse;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.RunContext;
import io.tributary.verify.Checksum;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.List;
import java.util.Optional;

/** {@code warehouse_partitions}, {@code warehouse_stages} and {@code warehouse_watermarks} in the control schema. */
public final class WarehouseLedger {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ControlSchema schema;

    /** One staged file as S3 stored it: what load checks before it reads the file. */
    public record StagedObject(@JsonProperty("url") String url, @JsonProperty("bytes") long bytes,
            @JsonProperty("etag") String etag) {
    }

    /** What stage recorded of one manifest: the receipt (figures, columns, types) and the files it wrote. */
    public record StageRecord(StageReceipt receipt, List<StagedObject> objects) {

        /** The manifest these files make (what Redshift's COPY reads, and what the bucket's copy must equal). */
        public Manifest manifest() {
            return new Manifest(objects.stream().map(o -> new Manifest.Entry(o.url(), o.bytes())).toList());
        }
    }

    public WarehouseLedger(ControlSchema schema) {
        this.schema = schema;
    }

    public void staged(Connection c, String source, String table, Partition p, Checksum figures, int files,
            long bytes, String manifest, RunContext run) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("warehouse_partitions")
                + " (source, source_table, partition_label, partition_column, from_ts, to_ts, status, rows,"
                + " source_checksum, files, bytes, manifest, run_id, staged_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, 'staged', ?, ?, ?, ?, ?, ?, now())"
                + " ON CONFLICT (source, source_table, partition_label) DO UPDATE SET status = 'staged',"
                + " rows = EXCLUDED.rows, source_checksum = EXCLUDED.source_checksum, files = EXCLUDED.files,"
                + " bytes = EXCLUDED.bytes, manifest = EXCLUDED.manifest, run_id = EXCLUDED.run_id,"
                + " staged_at = now(), error = NULL, updated_at = now()")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.setString(3, p.label());
            ps.setString(4, p.column());
            setTime(ps, 5, p.from() == null ? null : Timestamp.from(p.from().toInstant()));
            setTime(ps, 6, p.to() == null ? null : Timestamp.from(p.to().toInstant()));
            ps.setLong(7, figures.rows());
            ps.setString(8, figures.hex());
            ps.setInt(9, files);
            ps.setLong(10, bytes);
            ps.setString(11, manifest);
            ps.setString(12, run.runId());
            ps.execute();
        }
    }

    /** The receipt and the files of a stage, keyed by its manifest's URL (a re-stage of the same prefix replaces it). */
    public void recordStage(Connection c, String manifest, StageReceipt receipt, List<StagedObject> objects,
            RunContext run) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("warehouse_stages")
                + " (manifest, source, source_table, receipt, objects, run_id) VALUES (?, ?, ?, ?::jsonb, ?::jsonb, ?)"
                + " ON CONFLICT (manifest) DO UPDATE SET source = EXCLUDED.source, source_table ="
                + " EXCLUDED.source_table, receipt = EXCLUDED.receipt, objects = EXCLUDED.objects,"
                + " run_id = EXCLUDED.run_id, staged_at = now()")) {
            ps.setString(1, manifest);
            ps.setString(2, receipt.source());
            ps.setString(3, receipt.table());
            ps.setString(4, new String(receipt.toJson(), StandardCharsets.UTF_8));
            ps.setString(5, JSON.writeValueAsString(objects));
            ps.setString(6, run.runId());
            ps.execute();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What stage recorded for this manifest, if it staged it. */
    public Optional<StageRecord> stage(Connection c, String manifest) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT receipt::text, objects::text FROM "
                + schema.table("warehouse_stages") + " WHERE manifest = ?")) {
            ps.setString(1, manifest);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                StageReceipt receipt = StageReceipt.parse(rs.getString(1).getBytes(StandardCharsets.UTF_8),
                        schema.table("warehouse_stages"));
                List<StagedObject> objects = JSON.readValue(rs.getString(2), new TypeReference<List<StagedObject>>() { });
                return Optional.of(new StageRecord(receipt, objects));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(schema.table("warehouse_stages") + ": unreadable objects of " + manifest, e);
        }
    }

    /** After a load: loaded (verified) or mismatch, with the warehouse's own figures. */
    public void loaded(Connection c, String source, String table, Partition p, String targetTable, String dialect,
            Checksum sourceFigures, Checksum target, boolean verified, String manifest, RunContext run)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("warehouse_partitions")
                + " (source, source_table, partition_label, partition_column, from_ts, to_ts, status, target_table,"
                + " dialect, rows, source_checksum, target_rows, target_checksum, manifest, run_id, loaded_at, loads)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), 1)"
                + " ON CONFLICT (source, source_table, partition_label) DO UPDATE SET status = EXCLUDED.status,"
                + " target_table = EXCLUDED.target_table, dialect = EXCLUDED.dialect, rows = EXCLUDED.rows,"
                + " source_checksum = EXCLUDED.source_checksum, target_rows = EXCLUDED.target_rows,"
                + " target_checksum = EXCLUDED.target_checksum, manifest = EXCLUDED.manifest,"
                + " run_id = EXCLUDED.run_id, loaded_at = now(),"
                + " loads = " + schema.table("warehouse_partitions") + ".loads + 1, error = NULL,"
                + " updated_at = now()")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.setString(3, p.label());
            ps.setString(4, p.column());
            setTime(ps, 5, p.from() == null ? null : Timestamp.from(p.from().toInstant()));
            setTime(ps, 6, p.to() == null ? null : Timestamp.from(p.to().toInstant()));
            ps.setString(7, verified ? "loaded" : "mismatch");
            ps.setString(8, targetTable);
            ps.setString(9, dialect);
            ps.setLong(10, sourceFigures.rows());
            ps.setString(11, sourceFigures.hex());
            ps.setLong(12, target.rows());
            ps.setString(13, target.hex());
            ps.setString(14, manifest);
            ps.setString(15, run.runId());
            ps.execute();
        }
    }

    /**
     * Moves the table's watermark forward (never back: a backfill of an old partition keeps the newer mark).
     * Values compare as timestamps when both parse as one, else as numbers, else as text.
     */
    public String advanceWatermark(Connection c, String source, String table, String targetTable, String column,
            String value, RunContext run) throws SQLException {
        Optional<String> current = watermark(c, source, table, targetTable);
        String next = current.isPresent() && compare(current.get(), value) >= 0 ? current.get() : value;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema.table("warehouse_watermarks")
                + " (source, source_table, target_table, watermark_column, watermark, run_id) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (source, source_table, target_table) DO UPDATE SET watermark_column ="
                + " EXCLUDED.watermark_column, watermark = EXCLUDED.watermark, run_id = EXCLUDED.run_id,"
                + " updated_at = now()")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.setString(3, targetTable);
            ps.setString(4, column);
            ps.setString(5, next);
            ps.setString(6, run.runId());
            ps.execute();
        }
        return next;
    }

    public Optional<String> watermark(Connection c, String source, String table, String targetTable)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT watermark FROM " + schema.table("warehouse_watermarks")
                + " WHERE source = ? AND source_table = ? AND target_table = ?")) {
            ps.setString(1, source);
            ps.setString(2, table);
            ps.setString(3, targetTable);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    static int compare(String a, String b) {
        try {
            return java.time.OffsetDateTime.parse(a.replace(' ', 'T').replaceAll("\\+00$", "Z"))
                    .compareTo(java.time.OffsetDateTime.parse(b.replace(' ', 'T').replaceAll("\\+00$", "Z")));
        } catch (java.time.format.DateTimeParseException e) {
            try {
                return new java.math.BigDecimal(a).compareTo(new java.math.BigDecimal(b));
            } catch (NumberFormatException n) {
                return a.compareTo(b);
            }
        }
    }

    private static void setTime(PreparedStatement ps, int index, Timestamp t) throws SQLException {
        if (t == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setTimestamp(index, t);
        }
    }
}
