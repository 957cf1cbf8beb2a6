package io.tributary.archive;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.RunContext;

/**
 * A restore: which catalog entry (an archive id, or {@code instance.schema.table} for its newest verified
 * archive), into which connection and table (default: the archived name), and how to thaw objects in an
 * archive storage class ({@code thawOnly}: request and report, load nothing).
 */
public record RestoreRequest(MigrationConfig config, String entry, String target, TableRef targetTable,
        RunContext run, boolean thawOnly, int thawDays, String thawTier, int waitSeconds, int pollSeconds) {
}
