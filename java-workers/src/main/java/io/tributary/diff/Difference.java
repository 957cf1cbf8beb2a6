package io.tributary.diff;

import java.util.List;
import java.util.Map;

/**
 * One differing key. {@code key} maps key column → value (a number for integer keys, else the canonical
 * text) as the target has it; {@code columns} names the differing columns of a {@code different} row.
 */
public record Difference(Map<String, Object> key, String kind, List<String> columns) {
    public static final String MISSING_ON_TARGET = "missing_on_target";
    public static final String EXTRA_ON_TARGET = "extra_on_target";
    public static final String DIFFERENT = "different";
}
