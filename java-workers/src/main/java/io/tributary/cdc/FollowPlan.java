package io.tributary.cdc;

import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import io.tributary.ledger.ControlSchema;
import io.tributary.result.JobFailure;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What one follower works on, decided before anything connects: a source, its slot and publication, and each
 * source table with the target table it lands in (named like the copy names it).
 */
public record FollowPlan(String source, String slot, String publication, String target, ControlSchema control,
        Map<TableRef, TableRef> tables) {
    private static final Pattern SLOT_NAME = Pattern.compile("^[a-z0-9_]{1,63}$");

    public static FollowPlan of(MigrationConfig config, String source, List<TableRef> tables, String slot,
            String target) {
        MigrationConfig.Source declared = config.source(source).orElseThrow(() -> JobFailure.badInput(
                "source " + source + " is not declared in " + config.fileName() + " (declared: "
                        + String.join(", ", config.sourceIds()) + ")"));
        String into = target != null ? target : config.targets().consolidatedConnection();
        if (into.equals(source)) {
            throw JobFailure.badInput("source and target are the same connection (" + source + ")");
        }
        // The applied position must commit in the same target transaction as the changes it accounts for.
        if (!config.control().connection().equals(into)) {
            throw JobFailure.badInput("tributary follow records its applied position in the target's own transaction:"
                    + " the control connection (" + config.control().connection() + ") must be the target (" + into
                    + "); set control.connection to " + into);
        }
        String slotName = slot != null ? slot : "tributary_" + source;
        if (!SLOT_NAME.matcher(slotName).matches()) {
            throw JobFailure.badInput("--slot '" + slotName + "' must be 1-63 lowercase letters, digits or _"
                    + " (a PostgreSQL replication slot name)");
        }
        if (tables.isEmpty()) {
            throw JobFailure.badInput("name at least one --table to follow");
        }
        Map<TableRef, TableRef> targets = new LinkedHashMap<>();
        for (TableRef table : tables) {
            TableRef targetTable = config.consolidateEntry(source, table)
                    .map(MigrationConfig.ConsolidateTable::targetTable)
                    .orElse(declared.targetSchema() != null ? table.inSchema(declared.targetSchema()) : table);
            if (targets.containsValue(targetTable)) {
                throw JobFailure.badInput("two followed tables of " + source + " land in " + targetTable + ": one"
                        + " source table per target table (each source of a merged table is followed on its own)");
            }
            if (targets.put(table, targetTable) != null) {
                throw JobFailure.badInput("--table " + table + " is named twice");
            }
        }
        return new FollowPlan(source, slotName, slotName, into, new ControlSchema(config.control().schema()),
                Map.copyOf(targets));
    }

    /** The source tables as the ledger stores them (schema.table, sorted). */
    List<String> tableNames() {
        return tables.keySet().stream().map(TableRef::toString).sorted().toList();
    }
}
