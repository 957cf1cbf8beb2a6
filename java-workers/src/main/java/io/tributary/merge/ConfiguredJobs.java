package io.tributary.merge;

import com.fasterxml.jackson.databind.JsonNode;
import io.tributary.catalog.TableRef;
import io.tributary.config.MigrationConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The tables migration.yaml lists for phase 2: consolidate.tables (into the consolidated target) and
 * consolidate.split (one instance's tables shared out over several target databases).
 */
public final class ConfiguredJobs {
    private ConfiguredJobs() {
    }

    public static List<MergeJob> of(MigrationConfig config) {
        List<MergeJob> out = new ArrayList<>();
        String consolidated = config.targets().consolidatedConnection();
        for (MigrationConfig.ConsolidateTable t : config.consolidateTables()) {
            TableRef target = t.targetTable() != null ? t.targetTable()
                    : config.source(t.source()).map(MigrationConfig.Source::targetSchema)
                            .map(t.table()::inSchema).orElse(t.table());
            out.add(new MergeJob(t.source(), t.table(), consolidated, target));
        }
        out.addAll(split(config));
        return out;
    }

    /** consolidate.split: [{source, targets: {connection: [schema.table, ...]}}]. */
    public static List<MergeJob> split(MigrationConfig config) {
        List<MergeJob> out = new ArrayList<>();
        for (JsonNode s : config.raw().path("consolidate").path("split")) {
            String source = s.path("source").asText();
            s.path("targets").fields().forEachRemaining(f -> f.getValue().forEach(t -> {
                TableRef table = TableRef.parse(t.asText(), "consolidate.split[].targets." + f.getKey());
                out.add(new MergeJob(source, table, f.getKey(), table));
            }));
        }
        return out;
    }
}
