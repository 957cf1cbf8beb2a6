package io.tributary.verify;

import io.tributary.catalog.TableRef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The second, independent verification: per relation, {@code count(*) FROM ONLY} of the table and of each of its
 * partitions (at every level), on each side, read from the catalogs and the relations themselves, never through the
 * copy's SELECT. The checksums run over the copy's own SELECT, so they share its blind spots: an inheritance parent
 * read without ONLY duplicates its children's rows on both sides alike, and both checksums agree. These figures do
 * not share that SELECT, so they disagree.
 *
 * <p>Which relations: the table itself, and its partitions when it is partitioned (the rows the copy moved). An
 * inheritance child is a table of its own, copied and compared by its own copy, where it is "the table"; comparing
 * it here would fail whenever the parent happens to be copied before its children.
 *
 * <p>Matching: the table with the target table whatever their names; a partition with the target's partition of the
 * same name (the schema may differ, as with a source's {@code target_schema}). When the two sides are partitioned
 * differently (other partition names, or one side not partitioned), per-partition figures cannot be paired, and the
 * totals of both trees are compared instead.
 */
public final class RelationCounts {
    private static final String TREE = """
            WITH RECURSIVE tree AS (
                SELECT c.oid, 0 AS depth
                  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = ? AND c.relname = ?
                UNION ALL
                SELECT i.inhrelid, t.depth + 1
                  FROM tree t
                  JOIN pg_catalog.pg_class p ON p.oid = t.oid AND p.relkind = 'p'
                  JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid)
            SELECT n.nspname, c.relname, c.relkind::text, t.depth
              FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.oid
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             ORDER BY t.depth, c.relname
            """;

    private RelationCounts() {
    }

    /** One relation's own rows ({@code count(*) FROM ONLY}); {@code partition} false for the table itself. */
    public record Relation(TableRef relation, boolean partition, long rows) {
    }

    /**
     * The table and its partitions, each with {@code count(*) FROM ONLY} (a partitioned table, having no storage of
     * its own, counts 0). Empty when the table does not exist.
     */
    public static List<Relation> read(Connection connection, TableRef table) throws SQLException {
        List<Relation> out = new ArrayList<>();
        List<Object[]> tree = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(TREE)) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tree.add(new Object[] {new TableRef(rs.getString(1), rs.getString(2)), rs.getString(3),
                            rs.getInt(4)});
                }
            }
        }
        for (Object[] r : tree) {
            TableRef ref = (TableRef) r[0];
            long rows = 0;
            if (!"p".equals(r[1])) {
                try (Statement st = connection.createStatement();
                        ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + ref.quoted())) {
                    rs.next();
                    rows = rs.getLong(1);
                }
            }
            out.add(new Relation(ref, (int) r[2] > 0, rows));
        }
        return out;
    }

    /** One compared pair, as the JSON result reports it. */
    public record Pair(String relation, String targetRelation, long sourceRows, long targetRows) {
        public boolean agrees() {
            return sourceRows == targetRows;
        }
    }

    /**
     * The comparison: {@code pairs} in source order ({@code how}: {@code per relation} or {@code tree totals}),
     * and the first disagreeing pair, if any.
     */
    public record Comparison(String how, List<Pair> pairs) {
        public List<Pair> mismatches() {
            return pairs.stream().filter(p -> !p.agrees()).toList();
        }

        public boolean agrees() {
            return mismatches().isEmpty();
        }

        /** "public.parent_model: source 0 rows, target 2,000 rows in ONLY public.parent_model; ..." */
        public String describeMismatches() {
            StringBuilder out = new StringBuilder();
            for (Pair p : mismatches()) {
                out.append(out.length() == 0 ? "" : "; ").append(p.relation()).append(": source ")
                        .append(p.sourceRows()).append(" rows, target ").append(p.targetRows()).append(" rows in ")
                        .append(p.targetRelation());
            }
            return out.toString();
        }
    }

    /** Pairs the source's relations with the target's (see the class comment) and compares their counts. */
    public static Comparison compare(List<Relation> source, List<Relation> target) {
        if (source.isEmpty() || target.isEmpty()) {
            throw new IllegalArgumentException("both sides need the table itself");
        }
        Map<String, Relation> sourcePartitions = partitionsByName(source);
        Map<String, Relation> targetPartitions = partitionsByName(target);
        List<Pair> pairs = new ArrayList<>();
        if (sourcePartitions.keySet().equals(targetPartitions.keySet())) {
            pairs.add(pair(source.get(0), target.get(0)));
            sourcePartitions.forEach((name, s) -> pairs.add(pair(s, targetPartitions.get(name))));
            return new Comparison("per relation", pairs);
        }
        long sourceTotal = source.stream().mapToLong(Relation::rows).sum();
        long targetTotal = target.stream().mapToLong(Relation::rows).sum();
        pairs.add(new Pair(source.get(0).relation().toString() + " (" + source.size() + " relations)",
                target.get(0).relation().toString() + " (" + target.size() + " relations)", sourceTotal, targetTotal));
        return new Comparison("tree totals", pairs);
    }

    private static Pair pair(Relation s, Relation t) {
        return new Pair(s.relation().toString(), "ONLY " + t.relation(), s.rows(), t.rows());
    }

    private static Map<String, Relation> partitionsByName(List<Relation> relations) {
        Map<String, Relation> out = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Relation r : relations) {
            if (r.partition()) {
                // The same partition name in two schemas cannot be paired by name: keep both apart, which makes
                // the key sets differ and falls back to tree totals.
                String name = r.relation().name();
                int n = seen.merge(name, 1, Integer::sum);
                out.put(n == 1 ? name : r.relation().toString(), r);
            }
        }
        return out;
    }
}
