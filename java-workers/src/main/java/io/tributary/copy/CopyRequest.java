package io.tributary.copy;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;

/**
 * What to copy: a source table into the target (default: the consolidated connection) under a target name
 * (default: consolidate.tables[].target_table, else the source's target_schema, else the same name).
 */
public record CopyRequest(
        MigrationConfig config,
        String source,
        TableRef table,
        String target,
        TableRef targetTable,
        boolean truncate,
        RunContext run,
        double progressSeconds) {
}
