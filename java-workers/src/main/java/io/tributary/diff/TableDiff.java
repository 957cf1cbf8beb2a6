package io.tributary.diff;

// Over 500 lines on purpose: the bisection is one algorithm over one attempt's private ranges and segments.

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.source.PostgresSnapshot;
import io.tributary.verify.Checksum;
import io.tributary.verify.SegmentChecksums;
import io.tributary.verify.TableChecksum;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Logger;

/**
 * Finds the keys on which two tables differ, by bisecting key ranges with segment checksums.
 *
 * <ol>
 *   <li>Pass 1: each database computes the table checksum ({@link TableChecksum}) in its own REPEATABLE READ
 *       snapshot, concurrently. Equal: done, one pass. With a single NOT NULL integer key pass 1 is already the
 *       first segment pass below (the segments' sums are the table checksums), so a table that differs is not
 *       read whole twice.</li>
 *   <li>Otherwise every differing range is split into segments (a single integer key by min/max arithmetic,
 *       other keys by every n-th key in key order) and each side computes count and checksum of all segments
 *       of the pass in ONE query ({@code GROUP BY width_bucket(key, ARRAY[bounds])}). Only segments whose
 *       checksums differ are split again.</li>
 *   <li>A differing segment of at most {@code leafRows} rows (on either side) is a leaf: both sides return
 *       (key, row hash) for it, and the keys are classified as missing on target, extra on target or
 *       different; for different rows both sides return the canonical column texts, which name the
 *       differing columns. Only one leaf is held in memory at a time.</li>
 *   <li>Bounded: after {@code maxDifferences} keys, or when more differing segments remain than differences
 *       may still be reported, the diff stops and says {@code truncated}.</li>
 * </ol>
 */
public final class TableDiff {
    private static final Logger LOG = Logger.getLogger(TableDiff.class.getName());
    private static final Set<String> INTEGER_TYPES = Set.of("smallint", "integer", "bigint");
    /** Above this many ranges in one pass, the pass scans the whole table instead of OR-ing range predicates. */
    private static final int MAX_RANGE_PREDICATES = 64;
    private static final int ROWS_BATCH = 500;
    private static final int FETCH = 10_000;

    private final ConnectionFactory connections;
    private final RunSummary summary;
    private final CatalogReader catalog = new CatalogReader();

    public TableDiff(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    /** The outcome: the result line's keys, and every difference found (the --output file). */
    public record Outcome(Map<String, Object> result, List<Difference> differences, boolean identical) {
    }

    private record Range(Bound lo, Bound hi, Checksum source, Checksum target) {
        long maxRows() {
            return Math.max(source.rows(), target.rows());
        }

        String label() {
            return "[" + (lo == null ? "-inf" : lo) + ", " + (hi == null ? "+inf" : hi) + ")";
        }
    }

    private record Segment(Range parent, Bound lo, Bound hi, int bucket) {
    }

    private record LeafRow(Bound key, long hash) {
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(DiffSide side) throws SQLException;
    }

    private record Both<T>(T source, T target) {
    }

    public static final int MAX_DIFFERENCES = 100_000;

    public Outcome run(DiffRequest request) {
        if (request.maxDifferences() < 1 || request.maxDifferences() > MAX_DIFFERENCES) {
            // Each listed key is held in memory until the result is written: a bound keeps the worker's memory bounded.
            throw JobFailure.badInput("--max-differences must be between 1 and " + MAX_DIFFERENCES
                    + " (more differing keys than that call for a re-copy, not a list)");
        }
        if (request.segments() < 2 || request.segments() > 4096) {
            throw JobFailure.badInput("--segments must be between 2 and 4096");
        }
        if (request.leafRows() < 1) {
            throw JobFailure.badInput("--leaf-rows must be 1 or more");
        }
        if (request.source().equals(request.target()) && request.table().equals(request.targetTable())) {
            throw JobFailure.badInput("source and target are the same table (" + request.source() + " "
                    + request.table() + ")");
        }
        connections.uri(request.source());
        connections.uri(request.target());
        PostgresSnapshot source = null;
        PostgresSnapshot target = null;
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "diff-source");
            t.setDaemon(true);
            return t;
        });
        try {
            try (RunSummary.Step step = summary.begin("connect")) {
                // Each database in its own snapshot: pass 1's checksums and every later pass read one state.
                source = PostgresSnapshot.open(connections, request.source());
                target = PostgresSnapshot.open(connections, request.target());
            }
            return new Attempt(request, source, target, pool).run();
        } finally {
            pool.shutdownNow();
            if (source != null) {
                source.close();
            }
            if (target != null) {
                target.close();
            }
        }
    }

    private final class Attempt {
        private final DiffRequest request;
        private final PostgresSnapshot sourceSnapshot;
        private final PostgresSnapshot targetSnapshot;
        private final Connection sourceConnection;
        private final Connection targetConnection;
        private final ExecutorService pool;
        private final long startedNanos = System.nanoTime();
        private final List<Difference> differences = new ArrayList<>();
        private final Set<Range> forcedLeaves = new java.util.HashSet<>();
        private DiffSide source;
        private DiffSide target;
        private boolean truncated;
        private int passes;
        private long segmentsCompared;
        private long leafSegments;
        private long leafRowsRead;
        private long missing;
        private long extra;
        private long different;
        /** The segment sums of the latest pass, and its differing segments per range (pass 1 reads them). */
        private Both<Map<Integer, Checksum>> lastSums;
        private Map<Range, List<Range>> lastChildren;

        Attempt(DiffRequest request, PostgresSnapshot sourceSnapshot, PostgresSnapshot targetSnapshot,
                ExecutorService pool) {
            this.request = request;
            this.sourceSnapshot = sourceSnapshot;
            this.targetSnapshot = targetSnapshot;
            this.sourceConnection = sourceSnapshot.connection();
            this.targetConnection = targetSnapshot.connection();
            this.pool = pool;
        }

        Outcome run() {
            readCatalogs();
            Both<Checksum> whole;
            boolean identical;
            Range all = new Range(null, null, Checksum.EMPTY, Checksum.EMPTY);
            if (segmentedFirstPass(all)) {
                // Pass 1 already compared the first segments: their sums are the table checksums, and a table
                // that differs goes straight on with its differing segments (one full read per side saved).
                whole = new Both<>(sum(lastSums.source()), sum(lastSums.target()));
                identical = whole.source().equals(whole.target());
                LOG.info(String.format(Locale.ROOT, "pass 1: table checksums (sums of its segments) %s %s rows %s,"
                        + " %s %s rows %s: %s", source.conn, RunSummary.count(whole.source().rows()),
                        whole.source().hex(), target.conn, RunSummary.count(whole.target().rows()),
                        whole.target().hex(), identical ? "identical" : "they differ"));
                if (!identical) {
                    bisect(lastChildren.getOrDefault(all, List.of()));
                }
            } else {
                whole = firstPass();
                identical = whole.source().equals(whole.target());
                if (!identical) {
                    bisect(List.of(new Range(null, null, whole.source(), whole.target())));
                }
            }
            endSnapshots();
            return new Outcome(result(whole, identical), differences, identical);
        }

        /**
         * Pass 1 as a segment pass over the whole table, when every row belongs to a segment: a single NOT NULL
         * integer key on both sides (a NULL key would fall in no segment and escape the sum). False (nothing
         * run) otherwise, or for an empty table, and pass 1 is the plain table checksums.
         */
        private boolean segmentedFirstPass(Range all) {
            boolean notNullKeys = source.keys.size() == 1 && source.keys.get(0).notNull()
                    && target.keys.get(0).notNull();
            if (!source.integerKey || !notNullKeys) {
                return false;
            }
            try {
                if (splitPoints(all).isEmpty()) {
                    return false;
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, request.source());
            }
            lastSums = null;
            lastChildren = segmentPass(List.of(all));
            return lastSums != null;
        }

        private static Checksum sum(Map<Integer, Checksum> segments) {
            Checksum total = Checksum.EMPTY;
            for (Checksum c : segments.values()) {
                total = total.plus(c);
            }
            return total;
        }

        private void readCatalogs() {
            try (RunSummary.Step step = summary.begin("catalog")) {
                TableShape s = catalog.read(sourceConnection, request.table()).orElseThrow(() -> JobFailure.badInput(
                        "table " + request.table() + " does not exist in " + request.source()));
                TableShape t = catalog.read(targetConnection, request.targetTable()).orElseThrow(() ->
                        JobFailure.badInput("table " + request.targetTable() + " does not exist in " + request.target()));
                List<String> keyNames = request.key();
                if (keyNames == null || keyNames.isEmpty()) {
                    keyNames = s.primaryKeyIfAny().or(t::primaryKeyIfAny).map(TableShape.PrimaryKey::columns)
                            .orElseThrow(() -> JobFailure.badInput("neither " + request.source() + " " + s.table()
                                    + " nor " + request.target() + " " + t.table() + " has a primary key;"
                                    + " pass --key COL[,COL...]"));
                }
                List<String> columnNames = request.columns() == null || request.columns().isEmpty()
                        ? s.columnNames() : request.columns();
                KeyMapping mapping = KeyMapping.IDENTITY;
                long offset = request.sourceKeyOffset();
                if (offset == 0 && request.merged() != null) {
                    offset = request.merged().keyOffset();
                }
                if (offset != 0) {
                    if (keyNames.size() != 1 || !INTEGER_TYPES.contains(columnOf(s, keyNames.get(0), request.source(),
                            "key column").type())) {
                        throw JobFailure.badInput("--source-key-offset needs a single integer key column (key: "
                                + String.join(",", keyNames) + ")");
                    }
                    mapping = KeyMapping.offset(offset);
                }
                source = side(request.source(), sourceConnection, s, columnNames, keyNames, mapping);
                target = side(request.target(), targetConnection, t, columnNames, keyNames, KeyMapping.IDENTITY);
                if (request.merged() != null) {
                    source.projections = request.merged().projections();
                    source.filter = request.merged().sourceFilter();
                    target.filter = request.merged().targetFilter();
                }
                boolean integerKey = keyNames.size() == 1
                        && INTEGER_TYPES.contains(source.keys.get(0).type())
                        && INTEGER_TYPES.contains(target.keys.get(0).type());
                source.integerKey = integerKey;
                target.integerKey = integerKey;
                LOG.info("diff " + source.label() + " → " + target.label() + ": key (" + String.join(", ", keyNames)
                        + "), " + columnNames.size() + " columns");
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, request.source());
            }
        }

        private ColumnShape columnOf(TableShape shape, String name, String conn, String what) {
            return shape.column(name).orElseThrow(() -> JobFailure.badInput(
                    what + " " + name + " does not exist in table " + shape.table() + " in " + conn));
        }

        private DiffSide side(String conn, Connection c, TableShape shape, List<String> columnNames,
                List<String> keyNames, KeyMapping mapping) {
            List<ColumnShape> cols = columnNames.stream().map(n -> columnOf(shape, n, conn, "column")).toList();
            List<ColumnShape> keys = keyNames.stream().map(n -> columnOf(shape, n, conn, "key column")).toList();
            return new DiffSide(conn, c, shape, cols, keys, mapping);
        }

        /** Pass 1: the table checksums, each computed by its own database, concurrently. */
        private Both<Checksum> firstPass() {
            long started = System.nanoTime();
            Both<Checksum> whole;
            try (RunSummary.Step step = summary.begin("pass 1 (table checksums)")) {
                whole = onBoth(this::tableChecksum);
                step.rows(whole.source().rows() + whole.target().rows());
            }
            passes = 1;
            segmentsCompared = 1;
            LOG.info(String.format(Locale.ROOT, "pass 1: table checksums %s %s rows %s, %s %s rows %s: %s (%.3f s)",
                    source.conn, RunSummary.count(whole.source().rows()), whole.source().hex(),
                    target.conn, RunSummary.count(whole.target().rows()), whole.target().hex(),
                    whole.source().equals(whole.target()) ? "identical" : "they differ",
                    (System.nanoTime() - started) / 1e9));
            return whole;
        }

        private Checksum tableChecksum(DiffSide side) throws SQLException {
            if (side.mapping.isIdentity() && side.filter == null && side.projections.isEmpty()) {
                List<String> names = side.columns.stream().map(ColumnShape::name).toList();
                return new TableChecksum(RowSelection.of(side.shape, names, null, "table " + side.label()))
                        .compute(side.connection);
            }
            // A remapped key or a merged side: same row hash over the projected relation, one segment.
            Map<Integer, Checksum> one = SegmentChecksums.compute(side.connection,
                    SegmentChecksums.sql(side.relation(null), side.columns, "0", List.of(0)));
            return one.getOrDefault(0, Checksum.EMPTY);
        }

        /**
         * Breadth-first over differing ranges, kept in key order: ranges too big for a leaf are split (one
         * query per side per pass) until every differing range is a leaf; then the leaves are compared in key
         * order. Every differing range holds at least one difference, so no more ranges are kept than
         * differences may still be reported.
         */
        private void bisect(List<Range> differing) {
            List<Range> pending = differing;
            while (true) {
                if (pending.size() > request.maxDifferences()) {
                    pending = new ArrayList<>(pending.subList(0, request.maxDifferences()));
                    truncated = true;
                }
                List<Range> toSplit = pending.stream()
                        .filter(r -> r.maxRows() > request.leafRows() && !forcedLeaves.contains(r)).toList();
                if (toSplit.isEmpty()) {
                    break;
                }
                Map<Range, List<Range>> children = segmentPass(toSplit);
                List<Range> next = new ArrayList<>();
                for (Range r : pending) {
                    next.addAll(children.getOrDefault(r, List.of(r)));
                }
                pending = next;
            }
            for (Range r : pending) {
                if (full()) {
                    truncated = true;
                    return;
                }
                leaf(r);
            }
        }

        private boolean full() {
            return differences.size() >= request.maxDifferences();
        }

        /**
         * Splits the ranges and compares all their segments in one query per side; returns each range's
         * differing segments (a range that cannot be split maps to itself and becomes a leaf).
         */
        private Map<Range, List<Range>> segmentPass(List<Range> ranges) {
            long started = System.nanoTime();
            int pass = passes + 1;
            List<Bound> thresholds = new ArrayList<>();
            List<Segment> segments = new ArrayList<>();
            List<Range> unsplittable = new ArrayList<>();
            try (RunSummary.Step step = summary.begin("pass " + pass + " bounds")) {
                for (Range r : ranges) {
                    List<Bound> inner = splitPoints(r);
                    if (inner.isEmpty()) {
                        unsplittable.add(r);
                        continue;
                    }
                    List<Bound> points = new ArrayList<>();
                    points.add(r.lo());
                    points.addAll(inner);
                    points.add(r.hi());
                    for (int j = 0; j + 1 < points.size(); j++) {
                        Bound lo = points.get(j);
                        int bucket = 0;
                        if (lo != null) {
                            addThreshold(thresholds, lo);
                            bucket = thresholds.size();
                        }
                        segments.add(new Segment(r, lo, points.get(j + 1), bucket));
                    }
                    if (r.hi() != null) {
                        addThreshold(thresholds, r.hi());
                    }
                }
            } catch (SQLException e) {
                throw DatabaseFault.classify(e, request.source());
            }
            Map<Range, List<Range>> children = new HashMap<>();
            if (!segments.isEmpty()) {
                List<Range> split = ranges.stream().filter(r -> !unsplittable.contains(r)).toList();
                Set<Integer> buckets = new java.util.TreeSet<>();
                segments.forEach(seg -> buckets.add(seg.bucket()));
                Both<Map<Integer, Checksum>> sums;
                try (RunSummary.Step step = summary.begin("pass " + pass + " (" + segments.size() + " segments)")) {
                    sums = onBoth(side -> SegmentChecksums.compute(side.connection, SegmentChecksums.sql(
                            side.relation(where(side, split)), side.columns, side.segmentExpression(thresholds),
                            buckets)));
                    step.rows(total(sums.source()) + total(sums.target()));
                }
                lastSums = sums;
                int differ = 0;
                for (Segment s : segments) {
                    Checksum cs = sums.source().getOrDefault(s.bucket(), Checksum.EMPTY);
                    Checksum ct = sums.target().getOrDefault(s.bucket(), Checksum.EMPTY);
                    List<Range> siblings = children.computeIfAbsent(s.parent(), p -> new ArrayList<>());
                    if (!cs.equals(ct)) {
                        siblings.add(new Range(s.lo(), s.hi(), cs, ct));
                        differ++;
                    }
                }
                passes = pass;
                segmentsCompared += segments.size();
                LOG.info(String.format(Locale.ROOT, "pass %d: %d segments of %d ranges compared, %d differ (%.3f s)",
                        pass, segments.size(), split.size(), differ, (System.nanoTime() - started) / 1e9));
            }
            for (Range r : unsplittable) {
                LOG.warning("range " + r.label() + " cannot be split further (is the key unique?); comparing it"
                        + " row by row");
                forcedLeaves.add(r);
            }
            return children;
        }

        private static void addThreshold(List<Bound> thresholds, Bound b) {
            if (thresholds.isEmpty() || !thresholds.get(thresholds.size() - 1).equals(b)) {
                thresholds.add(b);
            }
        }

        private static long total(Map<Integer, Checksum> sums) {
            return sums.values().stream().mapToLong(Checksum::rows).sum();
        }

        /** One range: its own predicate; several: OR-ed (index-friendly) unless there are too many. */
        private String where(DiffSide side, List<Range> ranges) {
            if (ranges.size() > MAX_RANGE_PREDICATES) {
                return null; // rows between the ranges fall into buckets no segment claims
            }
            List<String> parts = new ArrayList<>();
            for (Range r : ranges) {
                String p = side.rangePredicate(r.lo(), r.hi());
                if (p == null) {
                    return null;
                }
                parts.add(parts.size() == 0 && ranges.size() == 1 ? p : "(" + p + ")");
            }
            return String.join(" OR ", parts);
        }

        /** Inner bounds splitting a range into about request.segments() parts with rows on either side. */
        private List<Bound> splitPoints(Range r) throws SQLException {
            int n = request.segments();
            List<Bound> points = new ArrayList<>();
            if (source.integerKey) {
                BigInteger lo = r.lo() == null ? null : new BigInteger(r.lo().values().get(0));
                BigInteger hi = r.hi() == null ? null : new BigInteger(r.hi().values().get(0));
                if (lo == null || hi == null) {
                    Both<BigInteger[]> mm = onBoth(side -> minMax(side, r));
                    BigInteger min = min(mm.source()[0], mm.target()[0]);
                    BigInteger max = max(mm.source()[1], mm.target()[1]);
                    if (min == null) {
                        return points;
                    }
                    lo = lo == null ? min : lo;
                    hi = hi == null ? max.add(BigInteger.ONE) : hi;
                }
                BigInteger width = hi.subtract(lo);
                BigInteger step = width.add(BigInteger.valueOf(n - 1)).divide(BigInteger.valueOf(n)).max(BigInteger.ONE);
                for (BigInteger p = lo.add(step); p.compareTo(hi) < 0; p = p.add(step)) {
                    points.add(new Bound(List.of(p.toString())));
                }
                return points;
            }
            // Any other key: every step-th key (in key order) of the side with more rows in the range.
            DiffSide side = r.source().rows() >= r.target().rows() ? source : target;
            long rows = Math.max(r.source().rows(), r.target().rows());
            long step = Math.max(1, (rows + n - 1) / n);
            try (Statement st = side.connection.createStatement()) {
                st.setFetchSize(FETCH);
                try (ResultSet rs = st.executeQuery(side.quantileSql(side.rangePredicate(r.lo(), r.hi()), step))) {
                    while (rs.next()) {
                        Bound b = bound(rs, 0);
                        if (!b.equals(r.lo()) && (points.isEmpty() || !points.get(points.size() - 1).equals(b))) {
                            points.add(b);
                        }
                    }
                }
            }
            return points;
        }

        private BigInteger[] minMax(DiffSide side, Range r) throws SQLException {
            try (Statement st = side.connection.createStatement();
                    ResultSet rs = st.executeQuery(side.minMaxSql(side.rangePredicate(r.lo(), r.hi())))) {
                rs.next();
                String min = rs.getString(1);
                String max = rs.getString(2);
                BigInteger offset = BigInteger.valueOf(side.mapping.offset());
                return new BigInteger[] {
                    min == null ? null : new BigInteger(min).add(offset),
                    max == null ? null : new BigInteger(max).add(offset)
                };
            }
        }

        private static BigInteger min(BigInteger a, BigInteger b) {
            return a == null ? b : b == null ? a : a.min(b);
        }

        private static BigInteger max(BigInteger a, BigInteger b) {
            return a == null ? b : b == null ? a : a.max(b);
        }

        private Bound bound(ResultSet rs, int offset) throws SQLException {
            List<String> values = new ArrayList<>(source.keys.size());
            for (int i = 0; i < source.keys.size(); i++) {
                String v = rs.getString(offset + i + 1);
                if (v == null) {
                    throw JobFailure.badInput("key column " + source.keys.get(i).name() + " is NULL in some rows;"
                            + " pass a --key that is NOT NULL and unique");
                }
                values.add(v);
            }
            return new Bound(values);
        }

        /** A small differing range: (key, row hash) from both sides, classified; different rows get column names. */
        private void leaf(Range r) {
            long started = System.nanoTime();
            leafSegments++;
            Both<List<LeafRow>> rows;
            try (RunSummary.Step step = summary.begin("leaf " + r.label())) {
                rows = onBoth(side -> leafRows(side, r));
                step.rows(rows.source().size() + rows.target().size());
            }
            leafRowsRead += rows.source().size() + rows.target().size();
            Map<Bound, Integer> sourceIndex = new HashMap<>();
            for (int i = 0; i < rows.source().size(); i++) {
                if (sourceIndex.put(rows.source().get(i).key(), i) != null) {
                    throw duplicateKey(source, rows.source().get(i).key());
                }
            }
            // Positions keep the output in key order: a target row sorts right after the last matched source row.
            record Found(double position, Bound key, String kind) {
            }
            List<Found> found = new ArrayList<>();
            boolean[] matched = new boolean[rows.source().size()];
            Set<Bound> seenTarget = new java.util.HashSet<>();
            double anchor = -1;
            int extras = 0;
            for (LeafRow t : rows.target()) {
                if (!seenTarget.add(t.key())) {
                    throw duplicateKey(target, t.key());
                }
                Integer i = sourceIndex.get(t.key());
                if (i == null) {
                    extras++;
                    found.add(new Found(anchor + 0.5 + extras * 1e-9, t.key(), Difference.EXTRA_ON_TARGET));
                } else {
                    matched[i] = true;
                    anchor = i;
                    extras = 0;
                    if (rows.source().get(i).hash() != t.hash()) {
                        found.add(new Found(i, t.key(), Difference.DIFFERENT));
                    }
                }
            }
            for (int i = 0; i < matched.length; i++) {
                if (!matched[i]) {
                    found.add(new Found(i, rows.source().get(i).key(), Difference.MISSING_ON_TARGET));
                }
            }
            found.sort(Comparator.comparingDouble(Found::position));
            int room = request.maxDifferences() - differences.size();
            if (found.size() > room) {
                truncated = true;
                found = new ArrayList<>(found.subList(0, Math.max(0, room)));
            }
            List<Bound> changed = found.stream().filter(f -> f.kind().equals(Difference.DIFFERENT)).map(Found::key)
                    .toList();
            Map<Bound, List<String>> columns = changed.isEmpty() ? Map.of() : differingColumns(changed);
            for (Found f : found) {
                switch (f.kind()) {
                    case Difference.MISSING_ON_TARGET -> missing++;
                    case Difference.EXTRA_ON_TARGET -> extra++;
                    default -> different++;
                }
                differences.add(new Difference(keyJson(f.key()), f.kind(),
                        f.kind().equals(Difference.DIFFERENT) ? columns.get(f.key()) : null));
            }
            LOG.info(String.format(Locale.ROOT, "leaf %s: %s source rows, %s target rows, %d differences (%.3f s)",
                    r.label(), RunSummary.count(rows.source().size()), RunSummary.count(rows.target().size()),
                    found.size(), (System.nanoTime() - started) / 1e9));
        }

        private JobFailure duplicateKey(DiffSide side, Bound key) {
            return JobFailure.badInput("key " + key + " occurs more than once in " + side.label()
                    + "; pass a unique --key");
        }

        private List<LeafRow> leafRows(DiffSide side, Range r) throws SQLException {
            List<LeafRow> rows = new ArrayList<>();
            try (Statement st = side.connection.createStatement()) {
                st.setFetchSize(FETCH);
                try (ResultSet rs = st.executeQuery(side.leafSql(side.rangePredicate(r.lo(), r.hi())))) {
                    int hashColumn = side.keys.size() + 1;
                    while (rs.next()) {
                        rows.add(new LeafRow(bound(rs, 0), rs.getLong(hashColumn)));
                    }
                }
            }
            return rows;
        }

        /** For rows whose hashes differ: both sides' canonical column texts, compared column by column. */
        private Map<Bound, List<String>> differingColumns(List<Bound> keys) {
            Map<Bound, List<String>> out = new LinkedHashMap<>();
            for (int from = 0; from < keys.size(); from += ROWS_BATCH) {
                List<Bound> batch = keys.subList(from, Math.min(keys.size(), from + ROWS_BATCH));
                Both<Map<Bound, String[]>> texts = onBoth(side -> columnTexts(side, batch));
                for (Bound k : batch) {
                    String[] s = texts.source().get(k);
                    String[] t = texts.target().get(k);
                    List<String> names = new ArrayList<>();
                    for (int i = 0; i < source.columns.size(); i++) {
                        if (s == null || t == null || !Objects.equals(s[i], t[i])) {
                            names.add(target.columns.get(i).name());
                        }
                    }
                    out.put(k, names);
                }
            }
            return out;
        }

        private Map<Bound, String[]> columnTexts(DiffSide side, List<Bound> keys) throws SQLException {
            Map<Bound, String[]> rows = new HashMap<>();
            try (Statement st = side.connection.createStatement();
                    ResultSet rs = st.executeQuery(side.rowsSql(side.keyIn(keys)))) {
                int k = side.keys.size();
                while (rs.next()) {
                    String[] values = new String[side.columns.size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = rs.getString(k + i + 1);
                    }
                    rows.put(bound(rs, 0), values);
                }
            }
            return rows;
        }

        private Map<String, Object> keyJson(Bound key) {
            Map<String, Object> json = new LinkedHashMap<>();
            for (int i = 0; i < target.keys.size(); i++) {
                String v = key.values().get(i);
                json.put(target.keys.get(i).name(), target.integerKey || INTEGER_TYPES.contains(target.keys.get(i).type())
                        ? (Object) Long.parseLong(v) : v);
            }
            return json;
        }

        /** Runs the same work on both sides at once: the source on the pool thread, the target here. */
        private <T> Both<T> onBoth(SqlWork<T> work) {
            Future<T> onSource = pool.submit(() -> work.run(source));
            T onTarget;
            try {
                onTarget = work.run(target);
            } catch (SQLException e) {
                waitQuietly(onSource);
                throw DatabaseFault.classify(e, target.conn);
            } catch (RuntimeException e) {
                waitQuietly(onSource);
                throw e;
            }
            try {
                return new Both<>(onSource.get(), onTarget);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw JobFailure.retryable("interrupted", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException sql) {
                    throw DatabaseFault.classify(sql, source.conn);
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw JobFailure.failed(cause.toString(), cause);
            }
        }

        private void waitQuietly(Future<?> future) {
            try {
                future.get();
            } catch (Exception ignored) {
                // the first failure is the one reported
            }
        }

        private void endSnapshots() {
            sourceSnapshot.end();
            targetSnapshot.end();
        }

        private Map<String, Object> result(Both<Checksum> whole, boolean identical) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("table", request.table().toString());
            r.put("source", request.source());
            r.put("target", request.target());
            r.put("target_table", request.targetTable().toString());
            r.put("rows_source", whole.source().rows());
            r.put("rows_target", whole.target().rows());
            r.put("checksum_source", whole.source().hex());
            r.put("checksum_target", whole.target().hex());
            r.put("identical", identical);
            r.put("missing_on_target", missing);
            r.put("extra_on_target", extra);
            r.put("different", different);
            r.put("truncated", truncated);
            r.put("passes", passes);
            r.put("segments_compared", segmentsCompared);
            r.put("leaf_segments", leafSegments);
            r.put("leaf_rows_read", leafRowsRead);
            r.put("key", source.keys.stream().map(ColumnShape::name).toList());
            if (request.sourceKeyOffset() != 0) {
                r.put("source_key_offset", request.sourceKeyOffset());
            }
            if (request.merged() != null) {
                r.put("merged", true); // compared as the copy projected it, against this source's rows of the target
                if (request.sourceKeyOffset() == 0 && request.merged().keyOffset() != 0) {
                    r.put("source_key_offset", request.merged().keyOffset());
                }
            }
            r.put("seconds", Math.round((System.nanoTime() - startedNanos) / 1e6) / 1e3);
            return r;
        }
    }
}
