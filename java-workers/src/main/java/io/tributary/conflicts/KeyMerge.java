package io.tributary.conflicts;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Merge-join of sorted key streams, one per instance: calls back for every key present in two or more
 * instances. Holds one key per stream at a time (plus, for pair streams, the few rows sharing a key).
 */
public final class KeyMerge {
    private KeyMerge() {
    }

    /** A key found in several instances; {@code seconds} per instance for pair streams. */
    public record Shared(long key, Map<Integer, Set<Long>> seconds) {
        /** True when some second value (an exact-key hash) is present in two or more instances. */
        public boolean secondShared() {
            Map<Long, Integer> seen = new HashMap<>();
            for (Set<Long> s : seconds.values()) {
                for (long v : s) {
                    if (seen.merge(v, 1, Integer::sum) >= 2) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    public interface Sink {
        void shared(Shared shared);
    }

    public static void run(List<SortedKeyStream> streams, Sink sink) throws SQLException {
        while (true) {
            boolean any = false;
            long min = Long.MAX_VALUE;
            for (SortedKeyStream s : streams) {
                if (s.hasRow() && (!any || s.key() < min)) {
                    min = s.key();
                    any = true;
                }
            }
            if (!any) {
                return;
            }
            Map<Integer, Set<Long>> seconds = new HashMap<>();
            List<Integer> present = new ArrayList<>();
            for (SortedKeyStream s : streams) {
                if (s.hasRow() && s.key() == min) {
                    present.add(s.instance);
                    Set<Long> mine = seconds.computeIfAbsent(s.instance, k -> new TreeSet<>());
                    while (s.hasRow() && s.key() == min) {
                        mine.add(s.second());
                        s.advance();
                    }
                }
            }
            if (present.size() >= 2) {
                sink.shared(new Shared(min, seconds));
            }
        }
    }
}
