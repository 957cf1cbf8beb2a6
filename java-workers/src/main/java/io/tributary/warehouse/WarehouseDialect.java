package io.tributary.warehouse;

import io.tributary.catalog.TableRef;
import io.tributary.connect.ConnectionFactory;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** How one warehouse spells the load plan. Redshift and the PostgreSQL stand-in implement it. */
public interface WarehouseDialect {

    /** What a load needs to know besides the staged columns. */
    record Target(TableRef table, TableRef staging, Partition partition, String manifestUrl, String iamRole,
            List<String> distKey, List<String> sortKey, String watermarkColumn, Upsert upsert) {

        public Target(TableRef table, TableRef staging, Partition partition, String manifestUrl, String iamRole,
                List<String> distKey, List<String> sortKey, String watermarkColumn) {
            this(table, staging, partition, manifestUrl, iamRole, distKey, sortKey, watermarkColumn, null);
        }
    }

    /**
     * An incremental load: the staged delta (rows past the watermark) is upserted by {@code key} instead of
     * replacing a partition; {@code touchedColumn} in [{@code touchedFrom}, {@code touchedTo}] (inclusive) are the
     * rows the delta touched, re-verified against the source's figures over the same range.
     */
    record Upsert(List<String> key, String touchedColumn, String touchedFrom, String touchedTo) {

        /** The touched range as a WHERE clause (leading space), or empty (the whole table) without a column. */
        public String touchedWhere(WarehouseDialect dialect) {
            if (touchedColumn == null) {
                return "";
            }
            if (touchedFrom == null) {
                return " WHERE 1 = 0";
            }
            String c = io.tributary.catalog.Identifiers.quote(touchedColumn);
            return " WHERE " + c + " >= " + dialect.literal(touchedFrom) + " AND " + c + " <= "
                    + dialect.literal(touchedTo);
        }
    }

    /** The dialect of this name (targets.warehouse.dialect, or load's --dialect). */
    static WarehouseDialect named(String name) {
        return switch (name) {
            case "redshift" -> new RedshiftDialect();
            case "postgres" -> new PostgresDialect();
            default -> throw JobFailure.badInput("the warehouse dialect must be redshift or postgres, not " + name);
        };
    }

    String name();

    /** A string literal as this warehouse reads it. */
    default String literal(String value) {
        return io.tributary.catalog.Identifiers.literal(value);
    }

    LoadPlan plan(Target target, List<StagedColumn> columns);

    /**
     * Refuses (exit 2) a column type that is not one this warehouse's DDL may receive: a type name is spliced into
     * CREATE TABLE as it is, so only the spellings stage's type mapping produces pass, whatever recorded them.
     */
    static void requireAllowedTypes(String dialect, List<StagedColumn> columns,
            java.util.function.Function<StagedColumn, String> type, java.util.regex.Pattern allowed) {
        for (StagedColumn c : columns) {
            String t = type.apply(c);
            if (t == null || !allowed.matcher(t).matches()) {
                throw JobFailure.badInput("staged column " + c.quoted() + " has the type '" + t + "', which is not a "
                        + dialect + " column type Tributary creates (nothing was loaded)");
            }
        }
    }

    /** A connection to the warehouse named by {@code connectionId} (TRIBUTARY_CONN_<ID>), in this dialect's driver. */
    Connection open(ConnectionFactory connections, String connectionId) throws SQLException;

    /**
     * Bulk-loads the staged files into the plan's staging table, inside the load's transaction; returns the
     * rows ingested, or -1 where the warehouse does the reading itself and says nothing.
     */
    long ingest(Connection warehouse, LoadPlan plan, StagedFiles files) throws SQLException, IOException;
}
