package io.tributary.warehouse;

import io.tributary.catalog.TableRef;
import java.util.List;

/** How one warehouse spells the load plan. Redshift and the PostgreSQL stand-in implement it. */
public interface WarehouseDialect {

    /** What a load needs to know besides the staged columns. */
    record Target(TableRef table, TableRef staging, Partition partition, String manifestUrl, String iamRole,
            List<String> distKey, List<String> sortKey, String watermarkColumn) {
    }

    String name();

    LoadPlan plan(Target target, List<StagedColumn> columns);
}
