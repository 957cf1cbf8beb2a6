package io.tributary.schema;

// Over 500 lines on purpose: pre-data steps, post-data steps and their one runner are one ordered DDL plan.

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.CatalogReader.EnumType;
import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.config.MigrationConfig;
import io.tributary.conflicts.TypeWidening;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.copy.TargetTable;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.schema.SourceCatalog.Column;
import io.tributary.schema.SourceCatalog.Index;
import io.tributary.schema.SourceCatalog.Named;
import io.tributary.schema.SourceCatalog.Table;
import io.tributary.schema.SourceCatalog.View;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the unified schema in the consolidated PostgreSQL from the source catalogs, in two phases around
 * the data copy (the order pg_dump and pgcopydb use, so the copy writes into tables without indexes):
 *
 * <ul>
 *   <li><b>pre-data</b>: schemas, enums and domains, sequences, tables (partitioned tables with their
 *       partitions, CHECK constraints), then functions and aggregates (bodies not checked: they may name
 *       tables). One transaction.</li>
 *   <li><b>post-data</b>: indexes built in parallel; primary and unique keys as {@code CREATE UNIQUE INDEX}
 *       then {@code ADD CONSTRAINT ... USING INDEX}; foreign keys added {@code NOT VALID} then validated;
 *       triggers; views and materialized views (refreshed); sequences set past the largest value.</li>
 * </ul>
 *
 * Tables with the same target from several sources are merged: the union of their columns, a column's type
 * widened ({@link TypeWidening}) where the sources disagree, and every change of shape reported. Every
 * object is created only when absent, so a re-run is a no-op that says so.
 *
 * <p>A source consolidated whole under its own names ({@code --whole}) is not built but restored from its own
 * pg_dump ({@link SchemaRestore}): everything pg_dump describes is kept, which the rules above cannot promise
 * (they rebuild from {@code pg_get_*def} and leave out comments, grants, extensions, inheritance...).
 */
public final class SchemaBuilder {
    private static final Logger LOG = Logger.getLogger(SchemaBuilder.class.getName());
    private static final Pattern NEXTVAL = Pattern.compile("^nextval\\('((?:[^']|'')+)'::regclass\\)$");

    public static final String PRE_DATA = "pre-data";
    public static final String POST_DATA = "post-data";

    private final ConnectionFactory connections;
    private final RunSummary summary;

    public SchemaBuilder(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    /**
     * @param sources  source connection ids (several = the same tables in several instances, merged)
     * @param schemas  whole schemas to build (tables, sequences, routines, views); empty = only {@code tables}
     * @param tables   per source, the tables to build and their target names (used when schemas is empty)
     * @param whole    the sources consolidated whole under their own names (restored from pg_dump); the other
     *                 sources' {@code tables} are built table by table
     */
    public record Request(MigrationConfig config, String phase, List<String> sources, List<String> schemas,
            Map<String, Map<TableRef, TableRef>> tables, String target, boolean dryRun, int parallelism,
            List<String> whole) {
    }

    /** One change of shape the unified schema makes relative to a source. */
    public record Change(String table, String column, String kind, String detail, List<String> sources) {
    }

    /** The JSON result line. */
    public record Result(String phase, String target, String status, int created, int existing,
            List<String> skipped, List<Change> changes, List<String> statements, int tables, double seconds,
            boolean dryRun, List<String> restoredFromPgDump, List<String> grantsSkipped) {
    }

    /** The sequence a {@code nextval('...'::regclass)} default draws from, or null. */
    static String sequenceOfDefault(String defaultExpr) {
        if (defaultExpr == null) {
            return null;
        }
        Matcher m = NEXTVAL.matcher(defaultExpr.strip());
        return m.matches() ? m.group(1).replace("''", "'") : null;
    }

    public Result run(Request request) {
        long started = System.nanoTime();
        if (!PRE_DATA.equals(request.phase()) && !POST_DATA.equals(request.phase())) {
            throw JobFailure.badInput("--phase must be pre-data or post-data (got " + request.phase() + ")");
        }
        if (request.sources().isEmpty()) {
            throw JobFailure.badInput("no source to build the schema from: pass --source or list consolidate.tables");
        }
        for (String s : request.sources()) {
            if (request.config().source(s).isEmpty()) {
                throw JobFailure.badInput("source " + s + " is not declared in " + request.config().fileName());
            }
            connections.uri(s);
        }
        connections.uri(request.target());

        List<SourceCatalog> catalogs = new ArrayList<>();
        Map<String, Set<TableRef>> allTables = new LinkedHashMap<>();
        Map<String, List<UserType>> typesBySource = new LinkedHashMap<>();
        try (RunSummary.Step step = summary.begin("read source catalogs")) {
            for (String s : request.sources()) {
                try (Connection c = connections.open(s)) {
                    List<TableRef> only = new ArrayList<>(request.tables().getOrDefault(s, Map.of()).keySet());
                    SourceCatalog cat = SourceCatalog.read(c, s, request.schemas(), only);
                    for (TableRef t : only) {
                        if (!cat.tables.containsKey(t)) {
                            throw JobFailure.badInput("table " + t + " does not exist in " + s);
                        }
                    }
                    catalogs.add(cat);
                    if (request.whole().contains(s)) {
                        allTables.put(s, SourceCatalog.allTables(c));
                    }
                    List<UserType> types = new ArrayList<>();
                    CatalogReader reader = new CatalogReader();
                    for (Table t : cat.tables.values()) {
                        for (UserType u : reader.userTypes(c, shapeOf(t))) {
                            if (!types.contains(u)) {
                                types.add(u);
                            }
                        }
                    }
                    typesBySource.put(s, types);
                } catch (SQLException e) {
                    throw DatabaseFault.classify(e, s);
                }
            }
        }
        List<String> whole = request.whole();
        if (!whole.isEmpty()) {
            if (!request.schemas().isEmpty()) {
                throw JobFailure.badInput("--whole restores each source whole: it takes no --schemas");
            }
            for (String s : whole) {
                if (request.tables().containsKey(s)) {
                    throw JobFailure.badInput(s + " is restored whole (--whole --source " + s + "): it takes no --table"
                            + " of its own; list tables only of the sources built table by table");
                }
            }
            Map<TableRef, String> owner = new LinkedHashMap<>();
            for (String s : whole) {
                String renamed = request.config().source(s).map(MigrationConfig.Source::targetSchema).orElse(null);
                if (renamed != null) {
                    throw JobFailure.badInput("--whole keeps " + s + "'s own schema names, but its target_schema is "
                            + renamed + " in " + request.config().fileName() + ": build it with --table instead");
                }
                for (TableRef t : allTables.get(s)) {
                    String other = owner.putIfAbsent(t, s);
                    if (other != null) {
                        throw JobFailure.badInput(t + " is in both " + other + " and " + s + ": --whole keeps each"
                                + " instance under its own names; tables merged from several sources are listed with --table");
                    }
                }
            }
            for (Map.Entry<String, Map<TableRef, TableRef>> e : request.tables().entrySet()) {
                for (Map.Entry<TableRef, TableRef> t : e.getValue().entrySet()) {
                    TableRef to = t.getValue() != null ? t.getValue() : t.getKey();
                    String other = owner.get(to);
                    if (other != null) {
                        throw JobFailure.badInput(e.getKey() + ":" + t.getKey() + " would go into " + to + " of " + other
                                + ", which is restored whole: merge them table by table (no --whole for " + other + ")");
                    }
                }
            }
        }
        if (!whole.isEmpty()) {
            try (RunSummary.Step step = summary.begin("check the target can hold " + String.join(", ", whole))) {
                for (String s : whole) {
                    try (Connection src = connections.open(s); Connection dst = connections.open(request.target())) {
                        SchemaRestore.preflight(src, s, dst, request.target());
                    } catch (SQLException e) {
                        throw DatabaseFault.classify(e, request.target());
                    }
                }
            }
        }
        int created = 0;
        int existing = 0;
        int tables = 0;
        List<String> skipped = new ArrayList<>();
        List<String> grantsSkipped = new ArrayList<>();
        List<String> statements = new ArrayList<>();
        List<Change> changes = List.of();
        SchemaRestore restore = new SchemaRestore(connections, summary);
        for (String s : whole) {
            SchemaRestore.Outcome o = restore.run(s, request.target(), request.phase(), request.dryRun(),
                    request.parallelism());
            created += o.created();
            existing += o.existing();
            grantsSkipped.addAll(o.grantsSkipped());
            statements.addAll(o.statements());
            tables += allTables.get(s).size();
        }
        List<SourceCatalog> built = catalogs.stream().filter(c -> !whole.contains(c.source)).toList();
        if (!built.isEmpty()) {
            Map<String, List<UserType>> builtTypes = new LinkedHashMap<>(typesBySource);
            builtTypes.keySet().retainAll(built.stream().map(c -> c.source).toList());
            UnifiedSchema unified = UnifiedSchema.of(request, built, builtTypes);
            List<Step> steps = PRE_DATA.equals(request.phase()) ? preData(unified) : postData(unified, built);
            Result result;
            try (Connection target = connections.open(request.target())) {
                result = execute(request, target, steps, unified);
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, request.target());
            }
            created += result.created();
            existing += result.existing();
            skipped.addAll(result.skipped());
            if (result.statements() != null) {
                statements.addAll(result.statements());
            }
            tables += result.tables();
            changes = result.changes();
        }
        String status = request.dryRun() ? (statements.isEmpty() ? "unchanged" : "planned")
                : created > 0 ? "created" : "unchanged";
        double seconds = Math.round((System.nanoTime() - started) / 1e6) / 1e3;
        return new Result(request.phase(), request.target(), status, created, existing, skipped, changes,
                request.dryRun() ? statements : null, tables, seconds, request.dryRun(), whole, grantsSkipped);
    }

    private static TableShape shapeOf(Table t) {
        List<ColumnShape> cols = t.columns().stream().map(c -> new ColumnShape(c.name(), c.type(),
                ColumnShape.CanonicalForm.TEXT, c.notNull(), null, true, c.typeOid())).toList();
        return new TableShape(t.ref(), cols, null);
    }

    // ---------------------------------------------------------------- steps

    /** One object: the query telling whether it exists in the target, and the statements creating it. */
    record Step(String kind, String name, String existsSql, List<String> ddl, boolean parallel, boolean optional) {
        Step(String kind, String name, String existsSql, String... ddl) {
            this(kind, name, existsSql, List.of(ddl), false, false);
        }
    }

    private static String regclassExists(TableRef t) {
        return "SELECT 1 WHERE pg_catalog.to_regclass(" + Identifiers.literal(t.quoted()) + ") IS NOT NULL";
    }

    /** Whether a source table is built in the target under its own name (so routines naming its row type work). */
    private static boolean builtUnderItsOwnName(UnifiedSchema u, TableRef source) {
        return u.renames().containsKey(source) && u.targetOf(source).equals(source) && u.tables().containsKey(source);
    }

    private static String constraintExists(TableRef t, String name) {
        return "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass("
                + Identifiers.literal(t.quoted()) + ") AND conname = " + Identifiers.literal(name);
    }

    private List<Step> preData(UnifiedSchema u) {
        List<Step> steps = new ArrayList<>();
        Set<String> schemas = new LinkedHashSet<>();
        u.types().forEach(t -> schemas.add(t.schema()));
        u.sequences().forEach(s -> schemas.add(s.ref().schema()));
        u.tables().keySet().forEach(t -> schemas.add(t.schema()));
        u.routines().forEach(r -> schemas.add(r.schema()));
        u.views().forEach(v -> schemas.add(v.ref().schema()));
        for (String s : schemas) {
            steps.add(new Step("schema", s, "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = "
                    + Identifiers.literal(s), "CREATE SCHEMA " + Identifiers.quote(s)));
        }
        for (UserType t : u.types()) {
            String name = Identifiers.qualified(t.schema(), t.name());
            steps.add(new Step(t instanceof EnumType ? "enum" : "domain", t.schema() + "." + t.name(),
                    "SELECT 1 WHERE pg_catalog.to_regtype(" + Identifiers.literal(name) + ") IS NOT NULL",
                    TargetTable.typeDdl(t)));
        }
        for (SourceCatalog.Sequence s : u.sequences()) {
            steps.add(new Step("sequence", s.ref().toString(), regclassExists(s.ref()),
                    "CREATE SEQUENCE " + s.ref().quoted() + " AS " + s.type() + " INCREMENT BY " + s.increment()
                            + " MINVALUE " + s.min() + " MAXVALUE " + s.max() + " START WITH " + s.start()
                            + " CACHE " + s.cache() + (s.cycle() ? " CYCLE" : " NO CYCLE")));
        }
        // Parents before partitions (the catalog lists partitions last).
        for (UnifiedSchema.UnifiedTable t : u.tables().values()) {
            Table tpl = t.template();
            if (tpl.parent() != null) {
                steps.add(new Step("partition", t.target().toString(), regclassExists(t.target()),
                        "CREATE TABLE " + t.target().quoted() + " PARTITION OF " + u.targetOf(tpl.parent()).quoted()
                                + " " + tpl.bound()));
                continue;
            }
            StringJoiner cols = new StringJoiner(",\n    ", " (\n    ", "\n)");
            for (Column c : t.columns()) {
                StringBuilder col = new StringBuilder(Identifiers.quote(c.name())).append(' ').append(c.type());
                if (!c.generated().isEmpty()) {
                    col.append(" GENERATED ALWAYS AS (").append(c.defaultExpr()).append(") STORED");
                } else if ("a".equals(c.identity())) {
                    col.append(" GENERATED ALWAYS AS IDENTITY");
                } else if ("d".equals(c.identity())) {
                    col.append(" GENERATED BY DEFAULT AS IDENTITY");
                } else if (c.defaultExpr() != null) {
                    col.append(" DEFAULT ").append(c.defaultExpr());
                }
                if (c.notNull()) {
                    col.append(" NOT NULL");
                }
                cols.add(col);
            }
            for (Named check : tpl.checks()) {
                cols.add("CONSTRAINT " + Identifiers.quote(check.name()) + " " + check.definition());
            }
            String ddl = "CREATE TABLE " + t.target().quoted() + (t.columns().isEmpty() && tpl.checks().isEmpty()
                    ? " ()" : cols.toString()) + (tpl.partitioned() ? " PARTITION BY " + tpl.partitionKey() : "");
            steps.add(new Step(tpl.partitioned() ? "partitioned table" : "table", t.target().toString(),
                    regclassExists(t.target()), ddl));
        }
        for (SourceCatalog.Routine r : u.routines()) {
            String kind = r.kind() == 'a' ? "aggregate" : r.kind() == 'p' ? "procedure" : "function";
            // A signature naming the row type of a table not built here (e.g. pagila's rewards_report returns
            // SETOF customer) cannot be created; it is reported, like a view over a table not built here.
            List<TableRef> missing = r.rowTypes().stream().filter(t -> !builtUnderItsOwnName(u, t)).toList();
            if (!missing.isEmpty()) {
                steps.add(new Step(kind + " (uses the row type of " + missing.stream().map(TableRef::toString)
                        .collect(Collectors.joining(", ")) + ", not built here)", r.signature(), "SELECT 1 WHERE false",
                        List.of(), false, true));
                continue;
            }
            steps.add(new Step(kind, r.signature(), "SELECT 1 WHERE pg_catalog.to_regprocedure("
                    + Identifiers.literal(r.signature()) + ") IS NOT NULL", r.definition()));
        }
        return steps;
    }

    private List<Step> postData(UnifiedSchema u, List<SourceCatalog> catalogs) {
        List<Step> steps = new ArrayList<>();
        List<Step> keys = new ArrayList<>();
        List<Step> fks = new ArrayList<>();
        List<Step> triggers = new ArrayList<>();
        for (UnifiedSchema.UnifiedTable t : u.tables().values()) {
            Table tpl = t.template();
            TableRef target = t.target();
            for (Index ix : tpl.indexes()) {
                TableRef indexRef = new TableRef(target.schema(), ix.name());
                String def = u.rename(ix.definition()).replace(" ON ONLY ", " ON ");
                if (ix.constraint() == null) {
                    steps.add(new Step("index", indexRef.toString(), regclassExists(indexRef), List.of(def), true, false));
                    continue;
                }
                String exists = ix.constraintType() == 'p'
                        ? "SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass("
                                + Identifiers.literal(target.quoted()) + ") AND contype = 'p'"
                        : constraintExists(target, ix.constraint());
                String add = "ALTER TABLE " + target.quoted() + " ADD CONSTRAINT " + Identifiers.quote(ix.constraint());
                if (tpl.partitioned() || ix.constraintType() == 'x') {
                    keys.add(new Step(kindOf(ix), target + "." + ix.constraint(), exists, add + " " + ix.constraintDef()));
                } else {
                    // The unique index builds in parallel with the others; the constraint then adopts it.
                    steps.add(new Step("index", indexRef.toString(), exists + " UNION ALL " + regclassExists(indexRef),
                            List.of(def), true, false));
                    keys.add(new Step(kindOf(ix), target + "." + ix.constraint(), exists, add + " "
                            + (ix.constraintType() == 'p' ? "PRIMARY KEY" : "UNIQUE") + " USING INDEX "
                            + Identifiers.quote(ix.name())));
                }
            }
            for (Named fk : tpl.foreignKeys()) {
                String def = u.rename(fk.definition());
                String name = target + "." + fk.name();
                boolean inScope = tpl.references().stream().allMatch(r -> u.tables().containsKey(u.targetOf(r))
                        && u.renames().containsKey(r));
                if (!inScope) {
                    fks.add(new Step("foreign key (referenced table not built here)", name, "SELECT 1 WHERE false",
                            List.of(), false, true));
                    continue;
                }
                String add = "ALTER TABLE " + target.quoted() + " ADD CONSTRAINT " + Identifiers.quote(fk.name()) + " " + def;
                fks.add(tpl.partitioned()
                        ? new Step("foreign key", name, constraintExists(target, fk.name()), add)
                        // NOT VALID takes a brief lock; VALIDATE then checks the rows without blocking writes.
                        : new Step("foreign key", name, constraintExists(target, fk.name()), add + " NOT VALID",
                                "ALTER TABLE " + target.quoted() + " VALIDATE CONSTRAINT " + Identifiers.quote(fk.name())));
            }
            for (Named tg : tpl.triggers()) {
                triggers.add(new Step("trigger", target + "." + tg.name(), "SELECT 1 FROM pg_catalog.pg_trigger WHERE"
                        + " tgrelid = pg_catalog.to_regclass(" + Identifiers.literal(target.quoted()) + ") AND tgname = "
                        + Identifiers.literal(tg.name()), List.of(u.rename(tg.definition())), false, true));
            }
        }
        steps.addAll(keys);
        steps.addAll(fks);
        steps.addAll(triggers);
        Set<TableRef> viewNames = new LinkedHashSet<>();
        u.views().forEach(v -> viewNames.add(v.ref()));
        for (View v : u.views()) {
            List<TableRef> missing = v.reads().stream()
                    .filter(r -> !viewNames.contains(r) && !u.tables().containsKey(u.targetOf(r))).toList();
            if (!missing.isEmpty()) { // e.g. a view over a table archived rather than consolidated
                steps.add(new Step((v.kind() == 'v' ? "view" : "materialized view") + " (reads "
                        + missing.stream().map(TableRef::toString).collect(Collectors.joining(", "))
                        + ", not built here)", v.ref().toString(), "SELECT 1 WHERE false", List.of(), false, true));
                continue;
            }
            if (v.kind() == 'v') {
                steps.add(new Step("view", v.ref().toString(), regclassExists(v.ref()),
                        List.of("CREATE VIEW " + v.ref().quoted() + " AS\n" + v.definition()), false, false));
            } else {
                String def = v.definition().strip();
                def = def.endsWith(";") ? def.substring(0, def.length() - 1) : def;
                List<String> ddl = new ArrayList<>();
                ddl.add("CREATE MATERIALIZED VIEW " + v.ref().quoted() + " AS\n" + def + "\nWITH NO DATA");
                for (Index ix : v.indexes()) {
                    ddl.add(ix.definition());
                }
                ddl.add("REFRESH MATERIALIZED VIEW " + v.ref().quoted());
                steps.add(new Step("materialized view", v.ref().toString(), regclassExists(v.ref()), ddl, false, false));
            }
        }
        return steps;
    }

    private static String kindOf(Index ix) {
        return switch (ix.constraintType()) {
            case 'p' -> "primary key";
            case 'u' -> "unique constraint";
            default -> "exclusion constraint";
        };
    }

    // ---------------------------------------------------------------- execution

    private Result execute(Request request, Connection target, List<Step> steps, UnifiedSchema u) throws SQLException {
        List<Step> missing = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int existing = 0;
        for (Step s : steps) {
            if (s.ddl().isEmpty()) {
                skipped.add(s.kind() + " " + s.name());
                LOG.info("skipped " + s.kind() + " " + s.name());
                continue;
            }
            if (exists(target, s.existsSql())) {
                existing++;
            } else {
                missing.add(s);
            }
        }
        List<String> statements = new ArrayList<>();
        missing.forEach(s -> statements.addAll(s.ddl()));
        boolean pre = PRE_DATA.equals(request.phase());
        int sequencesSet = 0;
        if (request.dryRun()) {
            LOG.info("dry run: " + missing.size() + " object(s) to create, " + existing + " already there");
        } else if (pre) {
            runInOneTransaction(target, missing);
        } else {
            List<Step> parallel = missing.stream().filter(Step::parallel).toList();
            runInParallel(request, parallel);
            for (Step s : missing) {
                if (!s.parallel()) {
                    runStep(target, s, skipped);
                }
            }
        }
        if (!pre) {
            sequencesSet = setSequences(request, target, u, catalogsLastValues(u), statements);
        }
        int created = (request.dryRun() ? 0 : missing.size()) + sequencesSet;
        String status = missing.isEmpty() && sequencesSet == 0 ? "unchanged" : request.dryRun() ? "planned" : "created";
        if ("unchanged".equals(status)) {
            LOG.info(request.phase() + ": nothing to do, all " + existing + " objects already exist in "
                    + request.target());
        } else {
            LOG.info(request.phase() + ": " + (request.dryRun() ? "would create " : "created ") + missing.size()
                    + " object(s)" + (sequencesSet > 0 ? ", set " + sequencesSet + " sequence(s)" : "") + ", "
                    + existing + " already existed");
        }
        for (Change c : u.changes()) {
            LOG.info("shape change: " + (c.table() == null ? "" : c.table() + ".") + (c.column() == null ? ""
                    : c.column() + " ") + c.kind() + " (" + c.detail() + ")");
        }
        return new Result(request.phase(), request.target(), status, created, existing, skipped, u.changes(),
                request.dryRun() ? statements : null, u.tables().size(), 0, request.dryRun(), List.of(), List.of());
    }

    private static boolean exists(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next();
        }
    }

    /** Pre-data: all or nothing, under the lock every worker takes before creating shared objects. */
    private void runInOneTransaction(Connection target, List<Step> steps) throws SQLException {
        if (steps.isEmpty()) {
            return;
        }
        try (RunSummary.Step step = summary.begin("pre-data (" + steps.size() + " objects)")) {
            target.setAutoCommit(false);
            try (Statement st = target.createStatement()) {
                st.execute("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('tributary target ddl', 0))");
                st.execute("SET LOCAL check_function_bodies = off");
                for (Step s : steps) {
                    for (String ddl : s.ddl()) {
                        LOG.fine(ddl);
                        st.execute(ddl);
                    }
                    LOG.info("created " + s.kind() + " " + s.name());
                }
                target.commit();
            } catch (SQLException | RuntimeException e) {
                target.rollback();
                throw e;
            } finally {
                target.setAutoCommit(true);
            }
        }
    }

    /** Index builds, each on its own connection; PostgreSQL builds different indexes of one table concurrently. */
    private void runInParallel(Request request, List<Step> steps) {
        if (steps.isEmpty()) {
            return;
        }
        int n = Math.max(1, Math.min(request.parallelism(), steps.size()));
        try (RunSummary.Step step = summary.begin("indexes (" + steps.size() + ", " + n + " at once)")) {
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Step> queue = Collections.synchronizedList(new ArrayList<>(steps));
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    try (Connection c = connections.open(request.target())) {
                        int k;
                        while ((k = next.getAndIncrement()) < queue.size()) {
                            Step s = queue.get(k);
                            try (Statement st = c.createStatement()) {
                                for (String ddl : s.ddl()) {
                                    st.execute(ddl);
                                }
                            } catch (SQLException e) {
                                throw DatabaseFault.classify(e, request.target());
                            }
                            LOG.info("built " + s.kind() + " " + s.name());
                        }
                    }
                    return null;
                }));
            }
            try {
                for (Future<?> f : futures) {
                    f.get();
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : JobFailure.failed(e.toString(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.failed("interrupted", e);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * One object in its own transaction. A foreign key whose VALIDATE fails means rows reference rows that
     * are not there: verification failed (exit 3), naming the constraint. Optional objects (triggers) that
     * cannot be created are reported, not fatal.
     */
    private void runStep(Connection target, Step s, List<String> skipped) throws SQLException {
        target.setAutoCommit(false);
        try (Statement st = target.createStatement()) {
            for (String ddl : s.ddl()) {
                st.execute(ddl);
            }
            target.commit();
            LOG.info("created " + s.kind() + " " + s.name());
        } catch (SQLException e) {
            target.rollback();
            if ("foreign key".equals(s.kind()) && "23503".equals(e.getSQLState())) {
                throw JobFailure.verificationFailed("foreign key " + s.name() + " is not valid in the target: "
                        + e.getMessage(), Map.of("constraint", s.name()));
            }
            if (s.optional()) {
                skipped.add(s.kind() + " " + s.name() + ": " + e.getMessage());
                LOG.warning("could not create " + s.kind() + " " + s.name() + ": " + e.getMessage());
                return;
            }
            throw e;
        } finally {
            target.setAutoCommit(true);
        }
    }

    private static Map<String, Long> catalogsLastValues(UnifiedSchema u) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (SourceCatalog.Sequence s : u.sequences()) {
            if (s.lastValue() != null) {
                out.put(s.ref().quoted(), s.lastValue());
            }
        }
        return out;
    }

    /**
     * Every sequence a target column draws from (a nextval default or an identity) is set past both the
     * column's largest value and the sources' last values, so new rows never collide. Only moved forward.
     */
    private int setSequences(Request request, Connection target, UnifiedSchema u, Map<String, Long> sourceLast,
            List<String> statements) throws SQLException {
        int set = 0;
        for (UnifiedSchema.UnifiedTable t : u.tables().values()) {
            if (t.template().parent() != null) {
                continue; // the parent's column covers its partitions
            }
            for (Column c : t.columns()) {
                String seq;
                if (!c.identity().isEmpty()) {
                    seq = scalar(target, "SELECT pg_catalog.pg_get_serial_sequence(" + Identifiers.literal(t.target().quoted())
                            + ", " + Identifiers.literal(c.name()) + ")");
                } else {
                    String fromDefault = sequenceOfDefault(c.defaultExpr());
                    seq = fromDefault == null ? null
                            : scalar(target, "SELECT pg_catalog.to_regclass(" + Identifiers.literal(fromDefault) + ")::text");
                }
                if (seq == null || !c.type().matches("smallint|integer|bigint")) {
                    continue;
                }
                String maxSql = "SELECT coalesce(max(" + Identifiers.quote(c.name()) + "), 0)::text FROM " + t.target().quoted();
                long max = Long.parseLong(scalar(target, maxSql));
                String fromDefault = sequenceOfDefault(c.defaultExpr());
                Long last = fromDefault == null ? null : sourceLast.get(quotedOf(fromDefault));
                long want = Math.max(max, last == null ? 0 : last);
                if (want < 1) {
                    continue;
                }
                String current = scalar(target, "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END::text FROM "
                        + seq);
                if (Long.parseLong(current) >= want) {
                    continue;
                }
                String sql = "SELECT pg_catalog.setval(" + Identifiers.literal(seq) + ", " + want + ", true)";
                statements.add(sql);
                if (!request.dryRun()) {
                    scalar(target, sql);
                    LOG.info("sequence " + seq + " set to " + want + " (" + t.target() + "." + c.name() + ")");
                }
                set++;
            }
        }
        return set;
    }

    private static String quotedOf(String regclassText) {
        int dot = regclassText.indexOf('.');
        if (dot < 0) {
            return regclassText;
        }
        String schema = unquote(regclassText.substring(0, dot));
        String name = unquote(regclassText.substring(dot + 1));
        return Identifiers.qualified(schema, name);
    }

    private static String unquote(String s) {
        return s.startsWith("\"") ? s.substring(1, s.length() - 1).replace("\"\"", "\"") : s;
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
