package io.tributary.cli;

import io.tributary.catalog.TableRef;
import io.tributary.cdc.FollowPlan;
import io.tributary.cdc.FollowResult;
import io.tributary.cdc.Follower;
import io.tributary.config.MigrationConfig;
import io.tributary.config.MigrationConfigLoader;
import io.tributary.connect.ConnectionFactory;
import io.tributary.result.JobFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.postgresql.replication.LogSequenceNumber;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary follow}: change data capture from a source into the target, from the copy's start point. */
@Command(
        name = "follow",
        header = "Follow a source's changes into the target (logical decoding, pgoutput), from where the copies end.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Three steps, each its own process (Airflow task):",
            "  1. --prepare creates a publication and a logical replication slot (pgoutput) for the tables and",
            "     holds the slot's exported snapshot until released; its name and position are recorded in the",
            "     control schema (follow_slots). Copy each table in it: tributary copy --snapshot ID.",
            "  2. --release, once every copy is done: the --prepare process closes the snapshot and ends.",
            "  3. Without --prepare/--release: stream the slot from that position (or from the last applied",
            "     transaction) and apply whole source transactions in batches to the target; the position applied",
            "     is recorded in the same target transaction, and confirmed to the slot only after the commit, so",
            "     a kill -9 and a restart neither lose nor repeat a change. Stops at --until-lsn, once",
            "     --until-caught-up, when --stop-file appears, or on SIGTERM (after the current transaction).",
            "Checked first (exit 2, nothing created): wal_level=logical, the REPLICATION attribute, a usable",
            "replica identity on each table (primary key, REPLICA IDENTITY USING INDEX or FULL), and that a table",
            "merged many-to-one was resolved for this source, with an origin column. A merged table's changes go",
            "through the copy's rules (key offsets, key_map, foreign keys, origin column; a new duplicate natural",
            "key through the table's conflict strategy); UPDATE, DELETE and TRUNCATE touch this source's rows only.",
            "Follow each source of a merged table with its own process and slot.",
            "A source DDL change during follow (a table's columns no longer match the target's) stops with",
            "exit 3 after every whole transaction before it, nothing of it. Progress and lag (bytes, seconds)",
            "go to stderr and the Pushgateway."
        })
final class FollowCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--config", paramLabel = "FILE", description = "The migration config (default: $TRIBUTARY_CONFIG).")
    Path config;

    @Option(names = "--source", required = true, paramLabel = "ID", description = "Source connection id (declared in sources).")
    String source;

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE",
            description = "A source table to follow (exact names); repeat for several.")
    List<String> tables;

    @Option(names = "--target", paramLabel = "ID",
            description = "Target connection id (default: targets.consolidated.connection; must hold the control schema).")
    String target;

    @Option(names = "--slot", paramLabel = "NAME",
            description = "Replication slot and publication name (default: tributary_<source>).")
    String slot;

    @ArgGroup(exclusive = true)
    Step step = new Step();

    static final class Step {
        @Option(names = "--prepare", description = "Create publication and slot, hold the slot's snapshot for the copies"
                + " until --release (or SIGTERM).")
        boolean prepare;

        @Option(names = "--release", description = "Release the snapshot held by --prepare (every copy is done).")
        boolean release;
    }

    @Option(names = "--until-lsn", paramLabel = "LSN",
            description = "Stop once every source transaction committed before LSN (e.g. 0/16B3D28) is applied.")
    String untilLsn;

    @Option(names = "--until-caught-up",
            description = "Stop once caught up with the source's position at start.")
    boolean untilCaughtUp;

    @Option(names = "--stop-file", paramLabel = "PATH",
            description = "Stop cleanly (after the current transaction) when this file exists.")
    Path stopFile;

    @Option(names = "--start-file", paramLabel = "PATH",
            description = {"With --prepare: check, create the publication, connect, write PATH.ready (holding this",
                    "process id), and create the slot only once PATH exists (e.g. inside a write freeze, with no",
                    "process start in it). SIGTERM before that: no slot is created."})
    Path startFile;

    @Option(names = "--dry-run", description = "With --prepare: make every check --prepare makes (connections,"
            + " wal_level, REPLICATION, replica identities, publication, slot name, control schema) and print what it"
            + " would create (publication and its tables, slot, plugin); nothing is created or changed.")
    boolean dryRun;

    @Option(names = "--drop-slot",
            description = "At the end, drop the slot and the publication (a forgotten slot pins the source's WAL).")
    boolean dropSlot;

    @Option(names = "--batch-transactions", paramLabel = "N", defaultValue = "500",
            description = "Source transactions per target transaction at most (default: ${DEFAULT-VALUE}).")
    int batchTransactions;

    @Option(names = "--batch-seconds", paramLabel = "SECONDS", defaultValue = "1",
            description = "Commit a batch at least this often while changes flow (default: ${DEFAULT-VALUE}).")
    double batchSeconds;

    @Option(names = "--progress-every", paramLabel = "SECONDS", defaultValue = "5",
            description = "Seconds between progress lines (changes, position, lag) on stderr (default: ${DEFAULT-VALUE}).")
    double progressSeconds;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        AtomicBoolean terminated = new AtomicBoolean();
        Object previous = StopSignal.install(terminated);
        try {
            return context.runJob("follow", (summary, metrics) -> {
                metrics.label("source", source);
                MigrationConfig migration;
                try (var s = summary.begin("config")) {
                    migration = new MigrationConfigLoader().load(Options.configFile(config, context));
                }
                List<TableRef> refs = tables.stream().map(t -> TableRef.parse(t, "--table")).toList();
                FollowPlan plan = FollowPlan.of(migration, source, refs, slot, target);
                ConnectionFactory connections = context.connections("follow");
                connections.uri(plan.source());
                connections.uri(plan.target());
                String push = context.env().get("TRIBUTARY_PUSHGATEWAY");
                Follower follower = new Follower(connections, summary, metrics, () -> metrics.push(push), context.err());
                BooleanSupplier stop = () -> terminated.get() || (stopFile != null && Files.exists(stopFile));
                if (dryRun && !step.prepare) {
                    throw JobFailure.badInput("--dry-run goes with --prepare (it rehearses the start point's creation)");
                }
                if (step.release) {
                    return follower.release(plan);
                }
                Follower.checkMerges(migration, connections, plan);
                if (startFile != null && !step.prepare) {
                    throw JobFailure.badInput("--start-file goes with --prepare (it delays the slot's creation)");
                }
                if (dryRun && startFile != null) {
                    throw JobFailure.badInput("--dry-run creates no slot, so it waits for no --start-file: drop one");
                }
                if (dryRun) {
                    return follower.rehearsePrepare(plan);
                }
                if (step.prepare) {
                    return follower.prepare(plan, stop, 1.0, StartFile.awaiter(startFile, terminated::get));
                }
                FollowResult result = follower.follow(migration, plan, new Follower.Options(untilLsn(), untilCaughtUp, dropSlot,
                        Math.max(1, batchTransactions), batchSeconds, progressSeconds), stop);
                metrics.bytes(result.bytes());
                return result;
            });
        } finally {
            StopSignal.restore(previous);
        }
    }

    private Long untilLsn() {
        if (untilLsn == null) {
            return null;
        }
        LogSequenceNumber lsn = LogSequenceNumber.valueOf(untilLsn);
        if (lsn == LogSequenceNumber.INVALID_LSN && !"0/0".equals(untilLsn)) {
            throw JobFailure.badInput("--until-lsn '" + untilLsn + "' is not an LSN (e.g. 0/16B3D28)");
        }
        return lsn.asLong();
    }
}
