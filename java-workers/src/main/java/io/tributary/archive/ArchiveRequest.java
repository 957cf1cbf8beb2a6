package io.tributary.archive;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;
import java.util.List;

/**
 * One table to archive: which source and table, under which run, why (class and reasons, from the
 * discovery plan), and whether to drop the source afterwards (only once verified and past the hold).
 */
public record ArchiveRequest(MigrationConfig config, String source, TableRef table, RunContext run, String tableClass,
        List<String> reasons, boolean dropSource) {
}
