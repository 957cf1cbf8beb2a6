package io.tributary.warehouse;

import io.tributary.catalog.Identifiers;
import io.tributary.result.JobFailure;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Which rows a stage or load covers: {@code [from, to)} on a time column, or the whole table. The same
 * predicate text serves the source, the PostgreSQL stand-in and Redshift (ISO literal cast to timestamptz).
 */
public record Partition(String column, OffsetDateTime from, OffsetDateTime to, String name) {
    private static final DateTimeFormatter LITERAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'+00'");

    public static final Partition WHOLE_TABLE = new Partition(null, null, null, null);

    /** An incremental load's ledger entry: named for the watermark it reaches, spanning the rows it touched. */
    public static Partition incremental(String column, OffsetDateTime from, OffsetDateTime to, String watermark) {
        return new Partition(column, from, to, "incremental " + watermark);
    }

    public static Partition of(String column, String from, String to) {
        if (from == null && to == null) {
            return WHOLE_TABLE;
        }
        if (from == null || to == null) {
            throw JobFailure.badInput("--from and --to go together (a partition is [from, to))");
        }
        if (column == null) {
            throw JobFailure.badInput("a time partition needs its column: --partition-column, or partition_column"
                    + " in targets.warehouse.tables");
        }
        OffsetDateTime f = parse(from, "--from");
        OffsetDateTime t = parse(to, "--to");
        if (!f.isBefore(t)) {
            throw JobFailure.badInput("--from " + from + " must be before --to " + to);
        }
        return new Partition(column, f, t, null);
    }

    /** A database's text rendering of a timestamptz ({@code 2026-10-31 17:48:00.631095+00}), or null. */
    static OffsetDateTime parseDatabaseText(String text) {
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text.replace(' ', 'T').replaceAll("([+-]\\d\\d)$", "$1:00"))
                    .withOffsetSameInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static OffsetDateTime parse(String text, String option) {
        try {
            return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw JobFailure.badInput(option + " '" + text + "' is not an ISO-8601 timestamp with offset"
                    + " (e.g. 2024-03-01T21:30:00+00:00)");
        }
    }

    public boolean wholeTable() {
        return column == null && name == null;
    }

    public boolean isIncremental() {
        return name != null;
    }

    /** {@code WHERE ...} (with a leading space) or empty. */
    public String where() {
        if (column == null || from == null || to == null) {
            return "";
        }
        String c = Identifiers.quote(column);
        return " WHERE " + c + " >= " + literal(from) + " AND " + c + " < " + literal(to);
    }

    private static String literal(OffsetDateTime t) {
        return "CAST('" + LITERAL.format(t) + "' AS TIMESTAMPTZ)";
    }

    /** For keys and logs: {@code full} or {@code 2024-03-01T21:30Z..2024-03-04T21:30Z}. */
    public String label() {
        return name != null ? name : wholeTable() ? "full" : from + ".." + to;
    }
}
