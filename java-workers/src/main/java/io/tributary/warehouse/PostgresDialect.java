package io.tributary.warehouse;

import io.tributary.catalog.Identifiers;
import io.tributary.connect.ConnectionFactory;
import io.tributary.verify.ChecksumDialect;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The local stand-in: the same plan on PostgreSQL. Its INGEST step is not SQL: the loader streams each staged
 * Parquet file from S3 into the staging table with {@code COPY ... FROM STDIN} (what Redshift's COPY does
 * server-side). Distribution and encodings have no PostgreSQL meaning; the sort key becomes an index.
 */
public final class PostgresDialect implements WarehouseDialect {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public Connection open(ConnectionFactory connections, String connectionId) throws SQLException {
        return connections.open(connectionId);
    }

    /** PostgreSQL cannot read S3: the client streams the files (what Redshift's COPY does server-side). */
    @Override
    public long ingest(Connection warehouse, LoadPlan plan, StagedFiles files) throws SQLException, IOException {
        return files.copyInto(warehouse, plan);
    }

    /** Every type stage's mapping gives the stand-in (TypeMapping), and nothing else. */
    static final Pattern ALLOWED_TYPES = Pattern.compile("boolean|smallint|integer|bigint|real|double precision|date"
            + "|timestamp with time zone|timestamp without time zone|bytea|text|uuid|json|jsonb|name|citext"
            + "|numeric\\(\\d{1,4},\\d{1,4}\\)|character(?: varying)?(?:\\(\\d{1,9}\\))?");

    @Override
    public LoadPlan plan(Target target, List<StagedColumn> columns) {
        WarehouseDialect.requireAllowedTypes(name(), columns, StagedColumn::postgresType, ALLOWED_TYPES);
        List<LoadPlan.Step> steps = new ArrayList<>();
        String t = target.table().quoted();
        String s = Identifiers.quote(target.staging().name());
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_SCHEMA,
                "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(target.table().schema())));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_TARGET, "CREATE TABLE IF NOT EXISTS " + t + " ("
                + columns.stream().map(c -> c.quoted() + " " + c.postgresType()).collect(Collectors.joining(", "))
                + ")"));
        if (!target.sortKey().isEmpty()) {
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_TARGET, "CREATE INDEX IF NOT EXISTS "
                    + Identifiers.quote(sortKeyIndexName(target.table().name())) + " ON " + t + " ("
                    + target.sortKey().stream().map(Identifiers::quote).collect(Collectors.joining(", ")) + ")"));
        }
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.BEGIN, "BEGIN"));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_STAGING, "CREATE TEMPORARY TABLE " + s + " ("
                + columns.stream().map(c -> c.quoted() + " " + (c.json() ? "text" : c.postgresType()))
                        .collect(Collectors.joining(", ")) + ") ON COMMIT DROP"));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INGEST, "COPY " + s + " ("
                + columns.stream().map(StagedColumn::quoted).collect(Collectors.joining(", "))
                + ") FROM STDIN -- each file of " + target.manifestUrl()));
        String names = columns.stream().map(StagedColumn::quoted).collect(Collectors.joining(", "));
        String values = columns.stream()
                .map(c -> c.json() ? c.quoted() + "::" + c.postgresType() : c.quoted())
                .collect(Collectors.joining(", "));
        List<io.tributary.catalog.ColumnShape> shapes = columns.stream().map(StagedColumn::postgresShape).toList();
        WarehouseDialect.Upsert upsert = target.upsert();
        if (upsert != null) {
            // The upsert: rows whose key is staged are replaced (late rows and updates), the rest inserted.
            String match = upsert.key().stream().map(k -> "t." + Identifiers.quote(k) + " = s." + Identifiers.quote(k))
                    .collect(Collectors.joining(" AND "));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DELETE_KEYS, "DELETE FROM " + t + " AS t USING " + s
                    + " AS s WHERE " + match));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INSERT, "INSERT INTO " + t + " (" + names + ") SELECT "
                    + values + " FROM " + s));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(
                    "SELECT " + names + " FROM " + t + " AS t WHERE EXISTS (SELECT 1 FROM " + s + " AS s WHERE "
                            + match + ")", shapes)));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM_TOUCHED, ChecksumDialect.POSTGRES_PORTABLE
                    .checksumSql("SELECT " + names + " FROM " + t + upsert.touchedWhere(this), shapes)));
        } else {
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DELETE_PARTITION, "DELETE FROM " + t
                    + target.partition().where()));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INSERT, "INSERT INTO " + t + " (" + names + ") SELECT "
                    + values + " FROM " + s));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(
                    "SELECT " + names + " FROM " + t + target.partition().where(), shapes)));
            // Only a whole-table load knows the exact high mark (a daily partition by another column does not).
            if (target.watermarkColumn() != null && target.partition().wholeTable()) {
                steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.WATERMARK, "SELECT max("
                        + Identifiers.quote(target.watermarkColumn()) + ")::text FROM " + t));
            }
        }
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DROP_STAGING, "DROP TABLE " + s));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.COMMIT, "COMMIT"));
        return new LoadPlan(name(), target.table(), target.staging(), target.partition(), columns, steps);
    }

    /**
     * The sort-key index's name: the table's name + {@code _sortkey}, within PostgreSQL's 63 bytes. Cut there silently
     * by the server, a long name would equal the table's own, and CREATE INDEX IF NOT EXISTS would skip the index
     * without a word; so a long one is shortened at a character boundary and keeps a hash of the whole name.
     */
    static String sortKeyIndexName(String table) {
        String name = table + "_sortkey";
        if (name.getBytes(StandardCharsets.UTF_8).length <= 63) {
            return name;
        }
        String suffix;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(table.getBytes(StandardCharsets.UTF_8));
            suffix = "_" + HexFormat.of().formatHex(digest, 0, 4) + "_sortkey";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JVM has SHA-256
        }
        StringBuilder head = new StringBuilder();
        int room = 63 - suffix.length();
        for (int i = 0; i < table.length(); ) {
            int cp = table.codePointAt(i);
            room -= new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (room < 0) {
                break;
            }
            head.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
        return head + suffix;
    }
}
