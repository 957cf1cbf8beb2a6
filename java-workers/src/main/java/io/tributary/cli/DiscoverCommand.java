package io.tributary.cli;

import io.tributary.discover.InstanceScanner;
import io.tributary.discover.Inventory;
import io.tributary.discover.InventoryJson;
import io.tributary.result.JobFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary discover}: the inventory of one instance, from catalogs and statistics. */
@Command(
        name = "discover",
        header = "Inventory of one instance (schemas, tables, keys, types, sizes, profile, usage) as JSON.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Scan one source instance into the discovery inventory (docs/inventory-format.md): schemas,",
            "tables (a partitioned table is one table, its partitions listed under it), columns, keys,",
            "foreign keys, indexes, triggers, sequences, enums, domains, views, extensions, sizes, a",
            "profile from pg_stats and usage from pg_stat_user_tables and pg_stat_statements.",
            "Cheap: catalogs and statistics, plus min/max of a time column and of an integer key read",
            "from an index the column leads. Never a full scan unless --exact-counts. Usage counters are",
            "read first, and a table with no scans since the statistics reset is not read at all, so",
            "discovery never makes an unused table look used. Read-only.",
            "The inventory goes to --output; the JSON result is a summary (instance, tables, views,",
            "bytes, seconds, output)."
        })
final class DiscoverCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--conn", required = true, paramLabel = "ID",
            description = "Connection id of the instance; the URI is read from TRIBUTARY_CONN_<ID>.")
    String conn;

    @Option(names = "--exact-counts", description = "Also count(*) every table (a full scan of each).")
    boolean exactCounts;

    @Option(names = "--schemas", split = ",", paramLabel = "SCHEMA",
            description = "Only these schemas (default: every schema but the system ones).")
    List<String> schemas;

    @Option(names = "--exclude-schema", paramLabel = "SCHEMA",
            description = "Never this schema; repeatable (sources[].exclude_schemas of migration.yaml: the DAG passes"
                    + " them).")
    List<String> excludeSchemas;

    @Option(names = "--output", paramLabel = "FILE",
            description = "Where to write the inventory (default: inventory-<ID>.json in the working directory).")
    Path output;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("discover", (summary, metrics) -> {
            metrics.label("conn", conn);
            Inventory inventory = new InstanceScanner(context.connections("discover"), summary)
                    .scan(conn, new Inventory.Options(schemas, excludeSchemas, exactCounts));
            Path file = output != null ? output : Path.of("inventory-" + conn + ".json");
            long bytes;
            try (var step = summary.begin("write inventory")) {
                bytes = InventoryJson.write(file, inventory.document());
            } catch (IOException e) {
                throw JobFailure.badInput("cannot write --output " + file + ": " + e.getMessage());
            }
            metrics.bytes(bytes);
            summary.totalRows(inventory.tables());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("instance", conn);
            result.put("tables", inventory.tables());
            result.put("views", inventory.views());
            result.put("bytes", bytes);
            result.put("seconds", Math.round(summary.elapsedSeconds() * 1000) / 1000.0);
            result.put("output", file.toAbsolutePath().toString());
            return result;
        });
    }
}
