package io.tributary.cli;

import io.tributary.cdc.FollowStatus;
import io.tributary.reconcile.ReconcileStatus;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.ledger.StatusReport;
import io.tributary.merge.RemapLedger;
import io.tributary.ledger.TableLedger;
import io.tributary.ledger.ControlSchema;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary status}: the ledger's per-table progress. */
@Command(
        name = "status",
        header = "Per-table progress from the ledger (control schema) as a table.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Show per-table progress from the control schema (the ledger) as a table on stderr:",
            "source, table, target, status, rows, both checksums, verified, duration, rows/s.",
            "Then each follow (tributary follow) per source and slot: the position applied to the target and",
            "its lag in bytes behind the source's current WAL position, read live when the source's connection",
            "is in the environment (lag from: source), else unknown (lag from: unreachable).",
            "Then the last reconciliation pass of each followed table (tributary_reconcile): rows compared,",
            "mismatches confirmed past the follower's lag, unsettled keys, mismatch rate.",
            "The JSON result lists the same rows (tables, follows, reconciliation). Read-only: never creates",
            "the control schema."
        })
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--run-id", paramLabel = "ID", description = "Only tables last touched by this run.")
    String runId;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("status", (summary, metrics) -> {
            MigrationConfig migration = new MigrationConfigLoader().load(Options.configFile(config, context));
            String controlId = migration.control().connection();
            ControlSchema control = new ControlSchema(migration.control().schema());
            ConnectionFactory connections = context.connections("status");
            connections.uri(controlId);
            List<StatusReport.Row> rows;
            Map<String, Long> conflicts = Map.of();
            List<FollowStatus.Row> follows = List.of();
            List<ReconcileStatus.Row> reconciled = List.of();
            try (var step = summary.begin("read ledger");
                    Connection connection = connections.open(controlId)) {
                boolean exists = control.exists(connection);
                rows = exists ? StatusReport.rows(new TableLedger(control).list(connection, runId)) : List.of();
                if (exists) {
                    conflicts = new RemapLedger(control).conflictCounts(connection,
                            migration.targets().consolidatedConnection(), null);
                    follows = FollowStatus.read(connection, control, connections);
                    reconciled = ReconcileStatus.read(connection, control);
                }
                step.rows(rows.size());
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, controlId);
            }
            if (rows.isEmpty()) {
                context.err().println("no tables recorded in " + controlId + " " + control.name()
                        + (runId == null ? "" : " for run " + runId));
            } else {
                context.err().print(StatusReport.render(rows));
            }
            if (!follows.isEmpty()) {
                context.err().println("follows (lag: WAL bytes between the source's current position and the last"
                        + " change applied):");
                context.err().print(FollowStatus.render(follows));
            }
            if (!reconciled.isEmpty()) {
                context.err().println("reconciliation during the dual run (last pass per table; mismatches confirmed"
                        + " past the follower's lag):");
                context.err().print(ReconcileStatus.render(reconciled));
            }
            if (!conflicts.isEmpty()) { // many-to-one: duplicates settled by tributary resolve, and those waiting for a person
                context.err().println("merge conflicts: " + conflicts.getOrDefault("resolved", 0L) + " settled by rule, "
                        + conflicts.getOrDefault("open", 0L) + " open in " + control.name()
                        + ".conflict_queue (docs/runbooks/merge-conflicts.md)");
            }
            context.err().flush();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("open_conflicts", conflicts.getOrDefault("open", 0L));
            result.put("control", controlId);
            result.put("schema", control.name());
            result.put("run_id", runId);
            result.put("count", rows.size());
            result.put("copied", rows.stream().filter(r -> "copied".equals(r.status())).count());
            result.put("verified", rows.stream().filter(StatusReport.Row::verified).count());
            result.put("tables", rows);
            result.put("follows", follows);
            result.put("reconciliation", reconciled);
            return result;
        });
    }
}
