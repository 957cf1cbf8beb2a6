package io.tributary.warehouse;

import io.tributary.catalog.TableRef;
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
        public String touchedWhere() {
            if (touchedColumn == null) {
                return "";
            }
            if (touchedFrom == null) {
                return " WHERE 1 = 0";
            }
            String c = io.tributary.catalog.Identifiers.quote(touchedColumn);
            return " WHERE " + c + " >= " + io.tributary.catalog.Identifiers.literal(touchedFrom) + " AND " + c
                    + " <= " + io.tributary.catalog.Identifiers.literal(touchedTo);
        }
    }

    String name();

    LoadPlan plan(Target target, List<StagedColumn> columns);
}
