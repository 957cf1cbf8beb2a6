package io.tributary.warehouse;

import io.tributary.catalog.Identifiers;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.ConnectionUri;
import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import io.tributary.verify.ChecksumDialect;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Amazon Redshift: DISTSTYLE KEY on the configured high-cardinality column (else EVEN), COMPOUND
 * SORTKEY with the time column first, AZ64 for numeric/temporal columns and ZSTD for the rest (RAW for the
 * leading sort key column, so zone maps stay sharp), {@code COPY ... FORMAT AS PARQUET MANIFEST} into a
 * temporary staging table, delete-insert of exactly the partition, checksum, in one transaction. JSON lands as
 * VARCHAR (SUPER cannot be verified: JSON_SERIALIZE is compact), timestamptz is staged as a UTC TIMESTAMP and
 * converted by the insert, and the files use Snappy and FIXED_LEN_BYTE_ARRAY decimals (WarehouseSettings).
 * Redshift cannot run here: every statement is pinned by golden tests.
 */
public final class RedshiftDialect implements WarehouseDialect {
    private static final Set<String> AZ64_TYPES = Set.of("SMALLINT", "INTEGER", "BIGINT", "DATE", "TIMESTAMP",
            "TIMESTAMPTZ");

    /** Every type stage's mapping gives Redshift (TypeMapping), and nothing else. */
    static final Pattern ALLOWED_TYPES = Pattern.compile("BOOLEAN|SMALLINT|INTEGER|BIGINT|REAL|DOUBLE PRECISION|DATE"
            + "|TIMESTAMP|TIMESTAMPTZ|SUPER|NUMERIC\\(\\d{1,2},\\d{1,2}\\)|VARCHAR\\(\\d{1,5}\\)|CHAR\\(\\d{1,4}\\)"
            + "|VARBYTE\\(\\d{1,7}\\)");

    @Override
    public String name() {
        return "redshift";
    }

    /** The same libpq-style URI, spoken by redshift-jdbc42 (it cannot talk to PostgreSQL: FIELD-NOTES). */
    @Override
    public Connection open(ConnectionFactory connections, String connectionId) throws SQLException {
        ConnectionUri uri = connections.uri(connectionId);
        Properties props = uri.properties("tributary load");
        Properties rs = new Properties();
        rs.setProperty("user", props.getProperty("user"));
        if (props.getProperty("password") != null) {
            rs.setProperty("password", props.getProperty("password"));
        }
        rs.putAll(tls(props));
        String url = uri.jdbcUrl().replaceFirst("^jdbc:postgresql:", "jdbc:redshift:");
        try {
            Connection c = new com.amazon.redshift.Driver().connect(url, rs);
            try (Statement st = c.createStatement()) {
                // The checksum's float text is %.17g / %.8g: DBL_DIG/FLT_DIG + 2 (r_extra_float_digits). The driver
                // sets 2 already; said here so that nothing else decides it.
                st.execute("SET extra_float_digits TO 2");
            }
            return c;
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, connectionId);
        }
    }

    /**
     * The URI's TLS settings in redshift-jdbc42's terms (its properties ssl, sslmode, sslrootcert). The driver
     * verifies the server's certificate (verify-ca) by default; libpq's non-verifying modes (allow, prefer, require)
     * are not carried over as weaker than that, and disable is honoured.
     */
    static Properties tls(Properties pg) {
        Properties out = new Properties();
        String mode = pg.getProperty("sslmode");
        if ("disable".equals(mode)) {
            out.setProperty("ssl", "false");
        } else if (mode != null) {
            out.setProperty("ssl", "true");
            out.setProperty("sslmode", "verify-full".equals(mode) ? "verify-full" : "verify-ca");
        }
        if (pg.getProperty("sslrootcert") != null) {
            out.setProperty("sslrootcert", pg.getProperty("sslrootcert"));
        }
        return out;
    }

    /** Redshift's own COPY reads the manifest's files from S3 (the plan's INGEST step). */
    @Override
    public long ingest(Connection warehouse, LoadPlan plan, StagedFiles files) throws SQLException {
        try (Statement st = warehouse.createStatement()) {
            st.execute(plan.step(LoadPlan.Step.Kind.INGEST).sql());
        }
        return -1;
    }

    /** Redshift reads a backslash in a string literal as an escape: doubled, like its QUOTE_LITERAL does. */
    @Override
    public String literal(String value) {
        return Identifiers.literal(value.replace("\\", "\\\\"));
    }

    static String encoding(String type, boolean leadingSortKey) {
        if (leadingSortKey) {
            return "RAW";
        }
        String t = type.toUpperCase(Locale.ROOT);
        if (AZ64_TYPES.contains(t) || t.startsWith("NUMERIC")) {
            return "AZ64";
        }
        return "ZSTD";
    }

    /**
     * Names Redshift cannot hold as PostgreSQL has them, refused before anything runs (exit 2, naming the table):
     * an identifier must be UTF-8 printable (no line break, tab or other control character), and ASCII letters are
     * folded to lower case even in double quotes (docs.aws.amazon.com/redshift/latest/dg/r_names.html), so two
     * columns differing only in case would become one. Quotes, spaces, dots, unicode, capitals stay as they are.
     */
    static void requireRedshiftNames(Target target, List<StagedColumn> columns) {
        String table = target.table().toString();
        List<String> names = new ArrayList<>(List.of(target.table().schema(), target.table().name()));
        columns.forEach(c -> names.add(c.name()));
        for (String n : names) {
            if (n.codePoints().anyMatch(cp -> Character.isISOControl(cp) || !Character.isDefined(cp))) {
                throw JobFailure.badInput("Redshift cannot hold the name " + Identifiers.quote(n).replace("\n", "\\n")
                        .replace("\t", "\\t") + " of " + table.replace("\n", "\\n") + ": its identifiers must be"
                        + " UTF-8 printable (no line break, tab or control character); rename it, or leave the table"
                        + " out of the warehouse phase");
            }
        }
        Map<String, String> folded = new HashMap<>();
        for (StagedColumn c : columns) {
            String other = folded.putIfAbsent(asciiLower(c.name()), c.name());
            if (other != null) {
                throw JobFailure.badInput("Redshift cannot hold both columns " + Identifiers.quote(other) + " and "
                        + Identifiers.quote(c.name()) + " of " + table + ": it folds ASCII letters to lower case even"
                        + " in double quotes, so they would be one column");
            }
        }
    }

    private static String asciiLower(String name) {
        StringBuilder out = new StringBuilder(name.length());
        name.chars().forEach(ch -> out.append(ch >= 'A' && ch <= 'Z' ? (char) (ch + 32) : (char) ch));
        return out.toString();
    }

    @Override
    public LoadPlan plan(Target target, List<StagedColumn> columns) {
        WarehouseDialect.requireAllowedTypes(name(), columns, StagedColumn::redshiftType, ALLOWED_TYPES);
        columns.stream().filter(c -> c.redshiftType().equals("SUPER")).findFirst().ifPresent(c -> {
            throw JobFailure.badInput(c.name() + " was staged for a SUPER column: JSON_SERIALIZE prints compact JSON"
                    + " and fails past 65,535 bytes, so the load could never verify it against the source's jsonb"
                    + " text; stage again with targets.warehouse.json_mapping: text");
        });
        requireRedshiftNames(target, columns);
        if (target.iamRole() == null) {
            throw JobFailure.badInput("the redshift dialect needs targets.warehouse.iam_role (the role COPY assumes"
                    + " to read the staged files)");
        }
        List<LoadPlan.Step> steps = new ArrayList<>();
        String t = target.table().quoted();
        String s = Identifiers.quote(target.staging().name()); // temporary tables live in a session schema
        String leading = target.sortKey().isEmpty() ? null : target.sortKey().get(0);
        String ddlColumns = columns.stream()
                .map(c -> c.quoted() + " " + c.redshiftType() + " ENCODE " + encoding(c.redshiftType(),
                        c.name().equals(leading)))
                .collect(Collectors.joining(", "));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_SCHEMA,
                "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(target.table().schema())));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_TARGET, "CREATE TABLE IF NOT EXISTS " + t + " ("
                + ddlColumns + ")" + distribution(target.distKey()) + sortKey(target.sortKey())));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.BEGIN, "BEGIN"));
        // Staging holds what COPY reads from Parquet: timestamptz arrives as TIMESTAMP in UTC (Parquet's timestamp
        // maps to Redshift's TIMESTAMP in the documented type list) until the insert converts it.
        String stagingColumns = columns.stream()
                .map(c -> c.quoted() + " " + stagingType(c))
                .collect(Collectors.joining(", "));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_STAGING, "CREATE TEMPORARY TABLE " + s + " ("
                + stagingColumns + ")"));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INGEST, "COPY " + s + " FROM "
                + literal(target.manifestUrl()) + " IAM_ROLE " + literal(target.iamRole())
                + " FORMAT AS PARQUET MANIFEST"));
        String names = columns.stream().map(StagedColumn::quoted).collect(Collectors.joining(", "));
        List<io.tributary.catalog.ColumnShape> shapes = columns.stream().map(StagedColumn::redshiftShape).toList();
        WarehouseDialect.Upsert upsert = target.upsert();
        String drop = "DROP TABLE " + s;
        if (upsert != null) {
            // MERGE (AWS: staging table + one MERGE per transaction). Its match condition compares a source column
            // with a target column (r_MERGE), so the staged UTC timestamps are converted first, into a second
            // temporary table. Redshift's MERGE takes no alias for the target: its columns are qualified in full.
            String u = Identifiers.quote(target.staging().name() + "_utc");
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CONVERT_STAGING, "CREATE TEMPORARY TABLE " + u + " AS SELECT "
                    + columns.stream().map(c -> value("", c) + " AS " + c.quoted()).collect(Collectors.joining(", "))
                    + " FROM " + s));
            drop += ", " + u;
            String match = upsert.key().stream().map(k -> t + "." + Identifiers.quote(k) + " = s."
                    + Identifiers.quote(column(columns, k).name())).collect(Collectors.joining(" AND "));
            List<StagedColumn> updated = columns.stream().filter(c -> !upsert.key().contains(c.name())).toList();
            String set = (updated.isEmpty() ? columns : updated).stream()
                    .map(c -> c.quoted() + " = s." + c.quoted()).collect(Collectors.joining(", "));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.MERGE, "MERGE INTO " + t + " USING " + u + " AS s ON "
                    + match + " WHEN MATCHED THEN UPDATE SET " + set + " WHEN NOT MATCHED THEN INSERT (" + names
                    + ") VALUES (" + columns.stream().map(c -> "s." + c.quoted()).collect(Collectors.joining(", "))
                    + ")"));
            String keyMatch = upsert.key().stream().map(k -> "t." + Identifiers.quote(k) + " = s."
                    + Identifiers.quote(k)).collect(Collectors.joining(" AND "));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM, ChecksumDialect.REDSHIFT.checksumSql(
                    "SELECT " + names + " FROM " + t + " AS t WHERE EXISTS (SELECT 1 FROM " + u + " AS s WHERE "
                            + keyMatch + ")", shapes)));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM_TOUCHED, ChecksumDialect.REDSHIFT.checksumSql(
                    "SELECT " + names + " FROM " + t + upsert.touchedWhere(this), shapes)));
        } else {
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DELETE_PARTITION, "DELETE FROM " + t
                    + target.partition().where()));
            String values = columns.stream().map(c -> value("", c)).collect(Collectors.joining(", "));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INSERT, "INSERT INTO " + t + " (" + names + ") SELECT "
                    + values + " FROM " + s));
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM, ChecksumDialect.REDSHIFT.checksumSql(
                    "SELECT " + names + " FROM " + t + target.partition().where(), shapes)));
            // Only a whole-table load knows the exact high mark (a daily partition by another column does not).
            if (target.watermarkColumn() != null && target.partition().wholeTable()) {
                steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.WATERMARK, "SELECT CAST(MAX("
                        + Identifiers.quote(target.watermarkColumn()) + ") AS VARCHAR(64)) FROM " + t));
            }
        }
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DROP_STAGING, drop));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.COMMIT, "COMMIT"));
        return new LoadPlan(name(), target.table(), target.staging(), target.partition(), columns, steps);
    }

    /** The staging column's type: what COPY can read from the Parquet file into it. */
    static String stagingType(StagedColumn c) {
        if (c.json()) {
            return "VARCHAR(65535)";
        }
        return c.redshiftType().equals("TIMESTAMPTZ") ? "TIMESTAMP" : c.redshiftType();
    }

    /** A staged column as inserted: the UTC TIMESTAMP becomes the TIMESTAMPTZ it stands for. */
    private static String value(String qualifier, StagedColumn c) {
        String ref = qualifier + c.quoted();
        return c.redshiftType().equals("TIMESTAMPTZ") ? "(" + ref + " AT TIME ZONE 'UTC')" : ref;
    }

    private static StagedColumn column(List<StagedColumn> columns, String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> JobFailure.badInput(
                "the upsert key column " + name + " is not among the staged columns"));
    }

    private static String distribution(List<String> distKey) {
        if (distKey.isEmpty()) {
            return " DISTSTYLE EVEN";
        }
        return " DISTSTYLE KEY DISTKEY (" + Identifiers.quote(distKey.get(0)) + ")";
    }

    private static String sortKey(List<String> sortKey) {
        if (sortKey.isEmpty()) {
            return "";
        }
        return " COMPOUND SORTKEY (" + sortKey.stream().map(Identifiers::quote).collect(Collectors.joining(", "))
                + ")";
    }
}
