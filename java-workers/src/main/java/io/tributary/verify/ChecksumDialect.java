package io.tributary.verify;

import io.tributary.catalog.ColumnShape;
import io.tributary.result.JobFailure;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How one database spells the row hash that a checksum sums. Two hashes are in use:
 *
 * <ul>
 *   <li><b>native</b> ({@link #POSTGRES}): {@code hash_record_extended(ROW(...), 0)} over typed or canonical
 *       values ({@link TableChecksum#rowHash}), signed 64 bits. The fast form, for PostgreSQL on both sides (source
 *       vs consolidated target, archive read-back).</li>
 *   <li><b>portable</b> ({@link #POSTGRES_PORTABLE}, {@link #REDSHIFT}): the first 15 hex digits of
 *       {@code md5(<portable row text>)} as a non-negative 60-bit integer (data-diff's hash). Redshift has no
 *       {@code hashtextextended} and no ROW-to-text cast, so both sides build the row text by concatenation from
 *       functions both databases have ({@code md5}, {@code to_char}, {@code rtrim}, {@code substring}); only the
 *       hex-to-integer step differs ({@code ::bit(60)::bigint} vs {@code STRTOL(.., 16)}). A PostgreSQL source
 *       checksummed with {@code POSTGRES_PORTABLE} and a Redshift table with {@code REDSHIFT} yield comparable
 *       figures. About twice as slow as the v1 text hash (FIELD-NOTES: 9.0 s vs 4.7 s for 5 M rows), four times
 *       the native one.</li>
 * </ul>
 *
 * <p>{@link #POSTGRES_TEXT_V1} is the native hash before typed values: {@code hashtextextended(ROW(...)::text, 0)}
 * of the canonical row text, twice as costly. It stays only to check archives cataloged with it
 * ({@code tributary-checksum-v1}), which may be restored years later.
 *
 * <p>Whatever the hash, the table checksum is the sum of row hashes mod 2^64 ({@link Checksum#fromSum}), so chunk
 * and partition sums combine with {@link Checksum#plus} in every dialect. Figures of different hashes are never
 * comparable: results carry {@link #hash()} so callers can refuse to compare apples with pears.
 *
 * <p>Portable row text: each column is {@code N} when NULL, else the md5 (32 hex digits) of its canonical text;
 * columns are joined by {@code ,}. Hashing each column first keeps every expression under Redshift's 65,535-byte
 * VARCHAR limit however wide the row (r_Character_types): a row of 1,600 columns is 52,799 characters. bytea is
 * hashed in 32,767-byte pieces, whose hex text (TO_HEX doubles the length) still fits. No backslashes anywhere
 * (Redshift literals treat them differently from PostgreSQL's standard_conforming_strings).
 */
public enum ChecksumDialect {
    /** PostgreSQL, native hash: what copy, verify and diff use between PostgreSQL databases. */
    POSTGRES("postgres", "native"),
    /** PostgreSQL, the v1 native hash over the canonical row text: for archives cataloged with it. */
    POSTGRES_TEXT_V1("postgres", "text-v1"),
    /** PostgreSQL computing the portable hash: the source side of a PostgreSQL-vs-Redshift comparison. */
    POSTGRES_PORTABLE("postgres", "portable"),
    /** Amazon Redshift: the portable hash in Redshift SQL. */
    REDSHIFT("redshift", "portable");

    private final String database;
    private final String hash;

    ChecksumDialect(String database, String hash) {
        this.database = database;
        this.hash = hash;
    }

    /** {@code postgres} or {@code redshift}: whose SQL this is. */
    public String database() {
        return database;
    }

    /** {@code native} or {@code portable}: checksums are comparable only between equal hashes. */
    public String hash() {
        return hash;
    }

    /**
     * From the CLI's {@code --dialect} and {@code --hash} (null: the dialect's default, native for postgres,
     * portable for redshift). Unknown names, or redshift with native, are bad input.
     */
    public static ChecksumDialect of(String database, String hash) {
        String db = database == null ? "postgres" : database.toLowerCase(Locale.ROOT);
        String h = hash == null ? null : hash.toLowerCase(Locale.ROOT);
        if (h != null && !h.equals("native") && !h.equals("portable")) {
            throw JobFailure.badInput("--hash must be native or portable, not " + hash);
        }
        return switch (db) {
            case "postgres" -> "portable".equals(h) ? POSTGRES_PORTABLE : POSTGRES;
            case "redshift" -> {
                if ("native".equals(h)) {
                    throw JobFailure.badInput("--hash native is PostgreSQL's hashtextextended, which Redshift lacks;"
                            + " use --hash portable (the default for --dialect redshift)");
                }
                yield REDSHIFT;
            }
            default -> throw JobFailure.badInput("--dialect must be postgres or redshift, not " + database);
        };
    }

    /** The dialect that computes the same hash as {@code other} on PostgreSQL (e.g. the source of a Redshift load). */
    public static ChecksumDialect postgresMatching(ChecksumDialect other) {
        return other.hash.equals("portable") ? POSTGRES_PORTABLE : POSTGRES;
    }

    /** The hash of one row, over a relation aliased {@code r}. */
    public String rowHash(List<ColumnShape> columns) {
        return switch (this) {
            case POSTGRES -> TableChecksum.rowHash(columns);
            case POSTGRES_TEXT_V1 -> "pg_catalog.hashtextextended(" + TableChecksum.rowText(columns) + ", 0)";
            case POSTGRES_PORTABLE -> "('x' || substr(md5(" + portableRowText(columns) + "), 1, 15))::bit(60)::bigint";
            case REDSHIFT -> "STRTOL(SUBSTRING(MD5(" + portableRowText(columns) + "), 1, 15), 16)";
        };
    }

    /**
     * The exact sum of row hashes: numeric in PostgreSQL, DECIMAL(38,0) in Redshift (its SUM of BIGINT is BIGINT and
     * would overflow after 8 rows of 60-bit values). {@link Checksum#fromSum} folds it mod 2^64.
     */
    public String hashSum(List<ColumnShape> columns) {
        return switch (this) {
            case POSTGRES, POSTGRES_TEXT_V1 -> "sum(" + rowHash(columns) + "::numeric)";
            case POSTGRES_PORTABLE, REDSHIFT -> "SUM(CAST(" + rowHash(columns) + " AS DECIMAL(38,0)))";
        };
    }

    /** {@code count(*)} and the hash sum over any SELECT yielding the columns: the one checksum query. */
    public String checksumSql(String relationSql, List<ColumnShape> columns) {
        return "SELECT count(*) AS row_count, " + hashSum(columns) + " AS hash_sum FROM (" + relationSql + ") AS "
                + TableChecksum.alias();
    }

    /** The portable row text: {@code N} for NULL, else the md5 of the column's canonical text; joined by commas. */
    public String portableRowText(List<ColumnShape> columns) {
        if (columns.isEmpty()) {
            return "''";
        }
        return columns.stream().map(this::portableField).collect(Collectors.joining(" || ',' || "));
    }

    private String portableField(ColumnShape column) {
        return "COALESCE(" + (this == REDSHIFT ? "MD5(" : "md5(") + portableText(column) + "), 'N')";
    }

    /** bytea is hashed in pieces of this many bytes: their hex text fits Redshift's 65,535-byte VARCHAR. */
    public static final int BYTES_PIECE = 32_767;
    /** Pieces enough for the widest staged VARBYTE (TypeMapping: VARBYTE(1024000)). */
    static final int BYTES_PIECES = (1_024_000 + BYTES_PIECE - 1) / BYTES_PIECE;

    /**
     * bytea / VARBYTE: its lowercase hex when it fits one piece, else the md5s of its pieces' hex joined by commas
     * (a comma never occurs in hex, so the two forms cannot collide).
     */
    private String bytesText(String ref) {
        boolean redshift = this == REDSHIFT;
        StringBuilder pieces = new StringBuilder();
        for (int i = 0; i < BYTES_PIECES; i++) {
            long start = 1L + (long) i * BYTES_PIECE;
            String piece = redshift ? "TO_HEX(SUBSTRING(" + ref + ", " + start + ", " + BYTES_PIECE + "))"
                    : "encode(substr(" + ref + ", " + start + ", " + BYTES_PIECE + "), 'hex')";
            String md5 = (redshift ? "MD5(" : "md5(") + piece + ")";
            pieces.append(i == 0 ? md5 : " || CASE WHEN " + length(ref, redshift) + " >= " + start + " THEN ',' || "
                    + md5 + " ELSE '' END");
        }
        String whole = redshift ? "TO_HEX(" + ref + ")" : "encode(" + ref + ", 'hex')";
        return "CASE WHEN " + length(ref, redshift) + " <= " + BYTES_PIECE + " THEN " + whole + " ELSE " + pieces
                + " END";
    }

    private static String length(String ref, boolean redshift) {
        return redshift ? "OCTET_LENGTH(" + ref + ")" : "octet_length(" + ref + ")";
    }

    /**
     * A float as Redshift prints it: {@code %.17g} (double) or {@code %.8g} (real), C's printf, since Redshift's
     * float output is PostgreSQL 8's (DBL_DIG/FLT_DIG + extra_float_digits) and the worker's Redshift sessions run
     * with extra_float_digits = 2, its maximum (r_extra_float_digits). PostgreSQL 12+ prints floats shortest-exact
     * instead, so the source spells {@code %.Pg} from to_char's {@code EEEE} form, which is C's {@code %+.*e}:
     * the P significant digits D and the exponent E, then fixed notation when -4 <= E < P, else scientific, trailing
     * zeros dropped either way (C's %g).
     */
    static String postgresFloatText(String ref, int digits) {
        String sci = "to_char(" + ref + ", '9." + "9".repeat(digits - 1) + "EEEE')";
        // sci = ' d.dddde+XX' or '-d.dddde-XX': sign (blank or -), P digits, exponent
        String sign = "CASE WHEN substr(" + sci + ", 1, 1) = '-' THEN '-' ELSE '' END";
        String d = "(substr(" + sci + ", 2, 1) || substr(" + sci + ", 4, " + (digits - 1) + "))";
        String e = "substr(" + sci + ", " + (digits + 4) + ")::int";
        String fixedPositive = "rtrim(rtrim(substr(" + d + ", 1, " + e + " + 1) || '.' || substr(" + d + ", " + e
                + " + 2), '0'), '.')";
        String fixedNegative = "rtrim('0.' || repeat('0', -(" + e + ") - 1) || " + d + ", '0')";
        String mantissa = "rtrim(rtrim(substr(" + d + ", 1, 1) || '.' || substr(" + d + ", 2), '0'), '.')";
        String exponent = "CASE WHEN " + e + " < 0 THEN '-' ELSE '+' END || CASE WHEN abs(" + e + ") < 10 THEN '0'"
                + " ELSE '' END || abs(" + e + ")::text"; // at least two digits (not lpad: it would cut 300 to 30)
        return "CASE WHEN " + ref + " = 'NaN' THEN 'NaN' WHEN " + ref + " = 'Infinity' THEN 'Infinity' WHEN " + ref
                + " = '-Infinity' THEN '-Infinity' WHEN " + ref + " = 0 THEN " + ref + "::text ELSE " + sign
                + " || CASE WHEN " + e + " >= 0 AND " + e + " < " + digits + " THEN " + fixedPositive + " WHEN " + e
                + " >= -4 AND " + e + " < 0 THEN " + fixedNegative + " ELSE " + mantissa + " || 'e' || " + exponent
                + " END END";
    }

    /**
     * The canonical text of one non-null value in the portable hash, chosen by the column's declared type in
     * this database. Types Redshift lacks (interval, uuid, arrays, enums, tsvector, ...) are whatever text the
     * warehouse stored for them: their PostgreSQL canonical text, compared as VARCHAR.
     */
    public String portableText(ColumnShape column) {
        String ref = TableChecksum.alias() + "." + column.quotedName();
        String type = column.type().toLowerCase(Locale.ROOT);
        boolean redshift = this == REDSHIFT;
        if (type.equals("boolean") || type.equals("bool")) {
            return "CASE WHEN " + ref + " THEN 't' ELSE 'f' END";
        }
        if (type.equals("date")) {
            return "TO_CHAR(" + ref + ", 'YYYY-MM-DD')";
        }
        if (type.startsWith("timestamp") && (type.contains("with time zone") || type.equals("timestamptz"))
                && !type.contains("without")) {
            return "TO_CHAR(" + ref + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
        }
        if (type.startsWith("timestamp")) {
            return "TO_CHAR(" + ref + ", 'YYYY-MM-DD HH24:MI:SS.US')";
        }
        if (!type.endsWith("[]") && (type.startsWith("numeric") || type.startsWith("decimal"))) {
            // Redshift has no trim_scale; trimming zeros after a decimal point gives the same text.
            String s = varchar(ref, redshift);
            return "CASE WHEN " + s + " LIKE '%.%' THEN RTRIM(RTRIM(" + s + ", '0'), '.') ELSE " + s + " END";
        }
        if (type.startsWith("character varying") || type.startsWith("varchar") || type.equals("text")
                || type.startsWith("character(") || type.equals("character") || type.startsWith("char")
                || type.startsWith("bpchar") || type.startsWith("nvarchar")) {
            return redshift ? ref : ref + "::text";
        }
        if (type.startsWith("varbyte") || type.startsWith("binary varying") || type.startsWith("varbinary")
                || type.equals("bytea")) {
            return bytesText(ref);
        }
        if (type.equals("super")) {
            // JSON_SERIALIZE prints compact JSON and fails past 65,535 bytes: never equal to jsonb's text, so a
            // SUPER column cannot be verified against a PostgreSQL source (json_mapping: text is what verifies).
            throw JobFailure.badInput(column.name() + " is SUPER: JSON_SERIALIZE prints compact JSON (no blanks"
                    + " after ',' and ':') and fails past 65,535 bytes, so it can never equal the source's jsonb text;"
                    + " load JSON as VARCHAR (targets.warehouse.json_mapping: text) to verify it");
        }
        if (type.equals("real") || type.equals("float4") || type.equals("double precision")
                || type.equals("float8") || type.equals("float")) {
            int digits = type.equals("real") || type.equals("float4") ? 8 : 17;
            return redshift ? varchar(ref, true) : postgresFloatText(ref, digits);
        }
        if (redshift) {
            return varchar(ref, true);
        }
        // PostgreSQL: the native canonical text (money and numeric arrays trimmed, json as jsonb, ...).
        return TableChecksum.canonical(column);
    }

    private static String varchar(String expr, boolean redshift) {
        // Redshift's bare VARCHAR means VARCHAR(256); 65535 is its maximum.
        return redshift ? "CAST(" + expr + " AS VARCHAR(65535))" : expr + "::text";
    }
}
