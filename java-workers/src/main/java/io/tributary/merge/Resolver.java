package io.tributary.merge;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
import io.tributary.conflicts.KeyMerge;
import io.tributary.conflicts.KeyOffsets;
import io.tributary.conflicts.SortedKeyStream;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.ledger.AuditLog;
import io.tributary.ledger.ControlSchema;
import io.tributary.ledger.RunContext;
import io.tributary.ledger.RunLedger;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * {@code tributary resolve}: before a many-to-one copy, decide for every target table fed by several instances
 * (1) a key offset per instance so surrogate keys never collide, (2) which row wins each duplicate natural key
 * (source-wins, last-write-wins, manual: the loser parked in the conflict queue), folding the loser's key into
 * the winner's through key_map so that every reference to it follows. Tables are settled parents first, so a
 * child's natural key (e.g. positions (user_id, symbol)) is compared after its parent's keys were remapped.
 * Decisions are recorded once and kept: a re-run changes nothing already decided, so copies stay consistent.
 */
public final class Resolver {
    private static final Logger LOG = Logger.getLogger(Resolver.class.getName());
    private static final String MARKER = "/* tributary:resolve */ ";
    private static final String ROW_ALIAS = "tributary_row";

    private final MigrationConfig config;
    private final ConnectionFactory connections;
    private final RunSummary summary;
    private final MergeRules rules;
    private final CatalogReader catalog = new CatalogReader();

    public Resolver(MigrationConfig config, ConnectionFactory connections, RunSummary summary) {
        this.config = config;
        this.connections = connections;
        this.summary = summary;
        this.rules = new MergeRules(config);
    }

    /** One source table as the catalog shows it. */
    private record Input(MergeJob job, TableShape shape, List<SourceKeys.ForeignKey> foreignKeys,
            List<List<String>> uniqueKeys) {
    }

    public ResolveResult run(List<MergeJob> jobs, RunContext run, boolean dryRun) {
        if (jobs.isEmpty()) {
            throw JobFailure.badInput("no tables to resolve (give --table SOURCE:SCHEMA.TABLE, or list"
                    + " consolidate.tables in " + config.fileName() + ")");
        }
        for (MergeJob j : jobs) {
            if (config.source(j.source()).isEmpty()) {
                throw JobFailure.badInput("source " + j.source() + " is not declared in " + config.fileName()
                        + " (declared: " + String.join(", ", config.sourceIds()) + ")");
            }
            connections.uri(j.source());
            connections.uri(j.target());
        }
        connections.uri(config.control().connection());
        List<Input> inputs = readSources(jobs);
        Map<String, List<Input>> groups = groups(inputs);
        ControlSchema schema = new ControlSchema(config.control().schema());
        RemapLedger ledger = new RemapLedger(schema);
        ResolveResult result = new ResolveResult(dryRun);
        result.crossTargetReferences(crossTargetReferences(inputs));
        try (Connection control = connections.open(config.control().connection())) {
            // A dry run is the real resolution in one control transaction that is rolled back: it decides and
            // counts exactly what the real run would record, and leaves nothing (not even the control schema).
            control.setAutoCommit(!dryRun);
            try (var step = summary.begin("control schema")) {
                if (dryRun) {
                    schema.ensureWithin(control);
                } else {
                    schema.ensure(control);
                }
                new RunLedger(schema).touch(control, run);
            }
            for (List<Input> group : order(groups, inputs)) {
                MergeJob first = group.get(0).job();
                if (group.size() < 2) {
                    continue;
                }
                try (var step = summary.begin("resolve " + first.targetTable())) {
                    ResolveResult.Table t = resolveTable(group, ledger, control, run);
                    result.add(t);
                    step.rows(t.duplicates());
                }
            }
            new AuditLog(schema).append(control, run, "resolve", Map.of(
                    "tables", result.tables().size(), "duplicates", result.duplicates(),
                    "open_conflicts", result.openConflicts()));
            if (dryRun) {
                control.rollback();
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, config.control().connection());
        }
        return result;
    }

    private List<Input> readSources(List<MergeJob> jobs) {
        List<Input> out = new ArrayList<>();
        try (var step = summary.begin("source catalogs")) {
            for (MergeJob job : jobs) {
                try (Connection c = connections.open(job.source())) {
                    TableShape shape = catalog.read(c, job.table()).orElseThrow(() -> JobFailure.badInput(
                            "table " + job.table() + " does not exist in " + job.source()));
                    out.add(new Input(job, shape, SourceKeys.foreignKeys(c, job.table()),
                            SourceKeys.uniqueKeys(c, job.table())));
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, job.source());
                }
            }
            step.rows(out.size());
        }
        return out;
    }

    /** target.table → its inputs in the config's source order. */
    private Map<String, List<Input>> groups(List<Input> inputs) {
        Map<String, List<Input>> out = new LinkedHashMap<>();
        List<String> order = config.sourceIds();
        inputs.stream().sorted(Comparator.comparingInt(i -> order.indexOf(i.job().source())))
                .forEach(i -> out.computeIfAbsent(key(i.job()), k -> new ArrayList<>()).add(i));
        for (List<Input> g : out.values()) {
            Set<String> seen = new LinkedHashSet<>();
            for (Input i : g) {
                if (!seen.add(i.job().source())) {
                    throw JobFailure.badInput("two tables of " + i.job().source() + " feed " + i.job().target() + "."
                            + i.job().targetTable() + " (" + g.stream().map(x -> x.job().label()).toList() + ")");
                }
            }
        }
        return out;
    }

    private static String key(MergeJob j) {
        return j.target() + "." + j.targetTable();
    }

    /** Parents before children (by foreign keys between the target tables); cycles keep their input order. */
    private List<List<Input>> order(Map<String, List<Input>> groups, List<Input> inputs) {
        Map<String, String> targetOf = new HashMap<>();
        inputs.forEach(i -> targetOf.put(i.job().source() + "\u0000" + i.job().table(), key(i.job())));
        Map<String, Set<String>> parents = new HashMap<>();
        for (Input i : inputs) {
            for (SourceKeys.ForeignKey fk : i.foreignKeys()) {
                String parent = targetOf.get(i.job().source() + "\u0000" + fk.parent());
                if (parent != null && !parent.equals(key(i.job()))) {
                    parents.computeIfAbsent(key(i.job()), k -> new LinkedHashSet<>()).add(parent);
                }
            }
        }
        List<List<Input>> out = new ArrayList<>();
        Set<String> done = new LinkedHashSet<>();
        Set<String> visiting = new LinkedHashSet<>();
        for (String k : groups.keySet()) {
            visit(k, groups, parents, done, visiting, out);
        }
        return out;
    }

    private void visit(String k, Map<String, List<Input>> groups, Map<String, Set<String>> parents, Set<String> done,
            Set<String> visiting, List<List<Input>> out) {
        if (done.contains(k) || !visiting.add(k)) {
            return;
        }
        for (String p : parents.getOrDefault(k, Set.of())) {
            visit(p, groups, parents, done, visiting, out);
        }
        done.add(k);
        out.add(groups.get(k));
    }

    /** Foreign keys whose parent lands in another target database (a one-to-many split cuts them). */
    private List<String> crossTargetReferences(List<Input> inputs) {
        Map<String, String> targetOf = new HashMap<>();
        inputs.forEach(i -> targetOf.put(i.job().source() + "\u0000" + i.job().table(), i.job().target()));
        List<String> out = new ArrayList<>();
        for (Input i : inputs) {
            for (SourceKeys.ForeignKey fk : i.foreignKeys()) {
                String parentTarget = targetOf.get(i.job().source() + "\u0000" + fk.parent());
                if (parentTarget != null && !parentTarget.equals(i.job().target())) {
                    out.add(i.job().source() + "." + i.job().table() + "(" + fk.column() + ") → " + fk.parent()
                            + ": " + i.job().target() + " vs " + parentTarget
                            + " (the foreign key cannot be created; the column is copied as is)");
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ one table

    private ResolveResult.Table resolveTable(List<Input> group, RemapLedger ledger, Connection control, RunContext run)
            throws SQLException {
        MergeJob first = group.get(0).job();
        List<String> sources = group.stream().map(i -> i.job().source()).toList();
        String keyColumn = surrogateKey(group);
        Map<String, Long> offsets = new LinkedHashMap<>();
        Long stride = null;
        List<RemapLedger.Offset> recorded = ledger.offsets(control, first.target()).stream()
                .filter(o -> o.targetTable().equals(first.targetTable())).toList();
        if (!recorded.isEmpty()) {
            recorded.forEach(o -> offsets.put(o.source(), o.offset()));
            stride = recorded.get(0).stride();
            keyColumn = recorded.get(0).keyColumn();
            for (Input i : group) {
                if (!offsets.containsKey(i.job().source())) {
                    throw JobFailure.badInput(first.target() + "." + first.targetTable() + " was resolved for "
                            + String.join(", ", offsets.keySet()) + "; " + i.job().source() + " is new: resolving it"
                            + " again would move keys that may already be copied");
                }
            }
        } else {
            stride = keyColumn == null ? null : stride(group, keyColumn);
            for (int n = 0; n < group.size(); n++) {
                offsets.put(group.get(n).job().source(), stride == null ? 0 : n * stride);
            }
            for (Input i : group) {
                RemapLedger.Offset o = new RemapLedger.Offset(first.target(), first.targetTable(), i.job().source(),
                        i.job().table(), keyColumn, offsets.get(i.job().source()), stride, rules.originColumn(),
                        sources);
                ledger.record(control, o, run.runId());
            }
            if (keyColumn != null && stride != null) {
                checkCapacity(group, keyColumn, stride);
            }
        }
        LOG.info(first.target() + "." + first.targetTable() + ": sources " + sources + ", key "
                + (keyColumn == null ? "(none remapped)" : keyColumn + " offsets " + offsets));

        List<List<String>> naturalKeys = naturalKeys(group);
        MergeRules.Strategy strategy = rules.strategy(sources, first.table(),
                group.stream().map(i -> i.shape().columnNames()).toList());
        ResolveResult.Table table = new ResolveResult.Table(first.target(), first.targetTable().toString(), sources,
                keyColumn, offsets, stride, naturalKeys, strategy.name(), strategy.chosenBy());
        if (naturalKeys.isEmpty()) {
            return table;
        }
        KeyRemapper remapper = new KeyRemapper(ledger, control, first.target(), rules);
        for (List<String> nk : naturalKeys) {
            duplicates(group, nk, strategy, remapper, ledger, control, run, table);
        }
        table.keyMapRows(ledger.keyMapRows(control, first.target(), first.targetTable()));
        return table;
    }

    /** The single integer primary key column every instance shares (and may remap), or null. */
    private String surrogateKey(List<Input> group) {
        List<String> sources = group.stream().map(i -> i.job().source()).toList();
        if (!rules.remapKeys(sources, group.get(0).job().table())) {
            return null;
        }
        String column = null;
        for (Input i : group) {
            var pk = i.shape().primaryKeyIfAny();
            if (pk.isEmpty() || pk.get().columns().size() != 1) {
                return null;
            }
            String name = pk.get().columns().get(0);
            ColumnShape c = KeyRemapper.column(i.shape(), name);
            if (column != null && !column.equals(name) || !KeyRemapper.INTEGER_TYPES.contains(c.type())) {
                return null;
            }
            column = name;
        }
        return column;
    }

    /** Null when the instances' key ranges do not overlap (nothing to remap); else the stride. */
    private Long stride(List<Input> group, String keyColumn) throws SQLException {
        List<long[]> ranges = new ArrayList<>();
        long max = 0;
        for (Input i : group) {
            try (Connection c = connections.open(i.job().source());
                    PreparedStatement ps = c.prepareStatement(MARKER + "SELECT min(" + Identifiers.quote(keyColumn)
                            + ")::int8, max(" + Identifiers.quote(keyColumn) + ")::int8 FROM " + i.shape().readFrom());
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                long lo = rs.getLong(1);
                if (rs.wasNull()) {
                    continue;
                }
                long hi = rs.getLong(2);
                ranges.add(new long[] {lo, hi});
                max = Math.max(max, hi);
                if (lo < 0) {
                    throw JobFailure.badInput(i.job().source() + "." + i.job().table() + " has negative keys in "
                            + keyColumn + "; offsets need non-negative keys (set tables[].key_remapping: none)");
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, i.job().source());
            }
        }
        for (int a = 0; a < ranges.size(); a++) {
            for (int b = a + 1; b < ranges.size(); b++) {
                if (ranges.get(a)[0] <= ranges.get(b)[1] && ranges.get(b)[0] <= ranges.get(a)[1]) {
                    return KeyOffsets.stride(max);
                }
            }
        }
        return null;
    }

    private void checkCapacity(List<Input> group, String keyColumn, long stride) {
        long highest = stride * group.size() - 1;
        for (Input i : group) {
            String type = KeyRemapper.column(i.shape(), keyColumn).type();
            long limit = switch (type) {
                case "smallint" -> Short.MAX_VALUE;
                case "integer" -> Integer.MAX_VALUE;
                default -> Long.MAX_VALUE;
            };
            if (highest > limit) {
                throw JobFailure.badInput(i.job().source() + "." + i.job().table() + "." + keyColumn + " is " + type
                        + ": offsets up to " + highest + " do not fit; widen the target column to bigint or set"
                        + " tables[].key_remapping: none");
            }
        }
    }

    /** tables[].natural_key, else every unique key and non-surrogate primary key all instances have. */
    private List<List<String>> naturalKeys(List<Input> group) {
        return rules.naturalKeys(group.stream().map(i -> i.job().source()).toList(), group.get(0).job().table(),
                group.stream().map(Input::shape).toList(), group.stream().map(Input::uniqueKeys).toList());
    }

    // ------------------------------------------------------------------------------------------ duplicates

    /** One row of one instance behind a shared natural key. */
    private record Candidate(int sourceIndex, String source, String keyText, String ownKey, String targetKey,
            Comparable<?> lastWrite, String row) {
        Duplicates.Contender contender() {
            return new Duplicates.Contender(sourceIndex, source, lastWrite);
        }
    }

    private void duplicates(List<Input> group, List<String> naturalKey, MergeRules.Strategy strategy,
            KeyRemapper remapper, RemapLedger ledger, Connection control, RunContext run,
            ResolveResult.Table table) throws SQLException {
        List<String> keyText = new ArrayList<>();
        List<String> sql = new ArrayList<>();
        for (Input i : group) {
            Map<String, String> projected = remapper.projections(i.shape(), i.job().source(), i.foreignKeys());
            String text = KeyRemapper.text(
                    naturalKey.stream().map(c -> projected.getOrDefault(c, Identifiers.quote(c))).toList(),
                    naturalKey.stream().map(c -> KeyRemapper.column(i.shape(), c)).toList());
            keyText.add(text);
            String notNull = naturalKey.stream().map(c -> Identifiers.quote(c) + " IS NOT NULL")
                    .reduce((a, b) -> a + " AND " + b).orElseThrow();
            sql.add(MARKER + "SELECT pg_catalog.hashtextextended(" + text + ", 0) FROM " + i.shape().readFrom()
                    + " WHERE " + notNull + " ORDER BY 1");
        }
        Set<Long> shared = new LinkedHashSet<>();
        merge(group, sql, s -> shared.add(s.key()));
        if (shared.isEmpty()) {
            return;
        }
        Map<Long, List<Candidate>> byHash = new LinkedHashMap<>();
        for (int n = 0; n < group.size(); n++) {
            fetch(group.get(n), n, keyText.get(n), naturalKey, strategy, remapper, shared, byHash);
        }
        MergeJob first = group.get(0).job();
        boolean mapKeys = table.keyColumn() != null || group.get(0).shape().primaryKeyIfAny()
                .map(pk -> pk.columns().size() == 1).orElse(false);
        long settled = 0;
        long open = 0;
        long duplicates = 0;
        for (List<Candidate> candidates : byHash.values()) {
            if (candidates.stream().map(Candidate::source).distinct().count() < 2) {
                continue; // a hash collision of different keys, or duplicates inside one instance only
            }
            duplicates++;
            Candidate winner = candidates.get(Duplicates.winner(
                    candidates.stream().map(Candidate::contender).toList(), strategy));
            for (Candidate loser : candidates) {
                if (loser == winner) {
                    continue;
                }
                boolean manual = Duplicates.manual(strategy);
                String reason = Duplicates.reason(strategy, winner.contender(), loser.contender());
                RemapLedger.Conflict c = new RemapLedger.Conflict(first.target(), first.targetTable(), naturalKey,
                        winner.keyText(), strategy.name(), winner.source(), winner.targetKey(), winner.row(),
                        loser.source(), loser.ownKey(), loser.row(), manual ? "open" : "resolved", reason);
                if (manual) {
                    open++;
                }
                if (ledger.record(control, c, run.runId(), mapKeys)) {
                    settled++;
                }
            }
        }
        table.duplicates(table.duplicates() + duplicates, table.settled() + settled, table.open() + open);
        LOG.info(first.targetTable() + " (" + String.join(", ", naturalKey) + "): " + duplicates
                + " duplicate keys, " + strategy.name() + (open > 0 ? ", " + open + " parked for a decision" : ""));
    }

    private void fetch(Input input, int index, String keyText, List<String> naturalKey, MergeRules.Strategy strategy,
            KeyRemapper remapper, Set<Long> hashes, Map<Long, List<Candidate>> byHash) throws SQLException {
        TableShape shape = input.shape();
        String ownKey = KeyRemapper.ownKeyText(shape, naturalKey);
        String targetKey = "NULL";
        var pk = shape.primaryKeyIfAny();
        if (pk.isPresent() && pk.get().columns().size() == 1) {
            Map<String, String> projected = remapper.projections(shape, input.job().source(), input.foreignKeys());
            String col = pk.get().columns().get(0);
            targetKey = KeyRemapper.text(List.of(projected.getOrDefault(col, Identifiers.quote(col))),
                    List.of(KeyRemapper.column(shape, col)));
        }
        String lastWrite = Duplicates.lastWriteSql(strategy, shape.columns(), input.job().source() + "."
                + shape.table());
        String sql = MARKER + "SELECT pg_catalog.hashtextextended(" + keyText + ", 0), " + keyText + ", " + ownKey
                + ", " + targetKey + ", " + lastWrite + ", CAST(to_jsonb(" + ROW_ALIAS + ".*) AS text) FROM "
                + shape.readFrom() + " AS " + ROW_ALIAS + " WHERE pg_catalog.hashtextextended(" + keyText
                + ", 0) = ANY (?)";
        try (Connection c = connections.open(input.job().source()); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("int8", hashes.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Comparable<?> last = Duplicates.lastWrite(lastWrite, rs.getString(5));
                    byHash.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>()).add(new Candidate(index,
                            input.job().source(), rs.getString(2), rs.getString(3), rs.getString(4), last,
                            rs.getString(6)));
                }
            }
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, input.job().source());
        }
    }

    private void merge(List<Input> group, List<String> sql, KeyMerge.Sink sink) throws SQLException {
        List<Connection> open = new ArrayList<>();
        List<SortedKeyStream> streams = new ArrayList<>();
        try {
            for (int n = 0; n < group.size(); n++) {
                String source = group.get(n).job().source();
                Connection c = connections.open(source);
                open.add(c);
                try {
                    streams.add(new SortedKeyStream(n, c, sql.get(n), false));
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, source);
                }
            }
            KeyMerge.run(streams, sink);
        } finally {
            for (SortedKeyStream s : streams) {
                try {
                    s.close();
                } catch (SQLException e) {
                    LOG.fine(() -> "closing a key stream: " + e.getMessage());
                }
            }
            open.forEach(ConnectionFactory::closeQuietly);
        }
    }
}
