package io.tributary.diff;

import java.util.List;

/** A key value (one canonical text per key column), used as a segment bound. Null bounds are open. */
record Bound(List<String> values) {
    Bound {
        values = List.copyOf(values);
    }

    @Override
    public String toString() {
        return values.size() == 1 ? values.get(0) : "(" + String.join(", ", values) + ")";
    }
}
