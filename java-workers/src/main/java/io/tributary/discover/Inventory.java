package io.tributary.discover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One instance's discovery inventory (docs/inventory-format.md) and the counts the result line reports.
 *
 * @param document the inventory JSON
 * @param tables   logical tables (a partitioned table and its partitions count once)
 * @param views    views and materialized views
 */
public record Inventory(ObjectNode document, int tables, int views) {
    public static final int FORMAT = 1;

    /** What to scan and how hard. */
    /** {@code schemas}: only these (empty: all but the system ones); {@code excludeSchemas}: never these. */
    public record Options(List<String> schemas, List<String> excludeSchemas, boolean exactCounts) {
        public Options {
            schemas = schemas == null ? List.of() : List.copyOf(schemas);
            excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
        }
    }
}
