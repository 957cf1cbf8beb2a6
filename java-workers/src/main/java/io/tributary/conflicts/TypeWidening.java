package io.tributary.conflicts;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The narrowest type that holds every value of the given column types without loss, or empty when there
 * is none a machine should pick (e.g. timestamp vs timestamptz, text vs integer): those are manual.
 */
public final class TypeWidening {
    private static final List<String> INTEGERS = List.of("smallint", "integer", "bigint");
    private static final Pattern NUMERIC = Pattern.compile("numeric\\((\\d+),(\\d+)\\)");
    private static final Pattern VARCHAR = Pattern.compile("character varying\\((\\d+)\\)");
    private static final Pattern CHAR = Pattern.compile("character\\((\\d+)\\)");
    /** Decimal digits an integer type needs as numeric. */
    private static final int[] INTEGER_DIGITS = {5, 10, 19};

    private TypeWidening() {
    }

    public static Optional<String> widen(List<String> types) {
        String wide = types.get(0);
        for (String t : types.subList(1, types.size())) {
            Optional<String> w = widen(wide, t);
            if (w.isEmpty()) {
                return Optional.empty();
            }
            wide = w.get();
        }
        return Optional.of(wide);
    }

    public static Optional<String> widen(String a, String b) {
        if (a.equals(b)) {
            return Optional.of(a);
        }
        if (a.endsWith("[]") && b.endsWith("[]")) {
            return widen(a.substring(0, a.length() - 2), b.substring(0, b.length() - 2)).map(t -> t + "[]");
        }
        if (a.endsWith("[]") || b.endsWith("[]")) {
            return Optional.empty();
        }
        if (INTEGERS.contains(a) && INTEGERS.contains(b)) {
            return Optional.of(INTEGERS.get(Math.max(INTEGERS.indexOf(a), INTEGERS.indexOf(b))));
        }
        if (isNumeric(a) && isNumeric(b)) {
            return Optional.of(numeric(a, b));
        }
        if (INTEGERS.contains(a) && isNumeric(b) || isNumeric(a) && INTEGERS.contains(b)) {
            String integer = INTEGERS.contains(a) ? a : b;
            String num = isNumeric(a) ? a : b;
            int digits = INTEGER_DIGITS[INTEGERS.indexOf(integer)];
            return Optional.of(numeric(num, "numeric(" + digits + ",0)"));
        }
        if (isFloat(a) && isFloat(b)) {
            return Optional.of("double precision");
        }
        if (isText(a) && isText(b)) {
            return Optional.of(text(a, b));
        }
        if (isJson(a) && isJson(b)) {
            return Optional.of("jsonb");
        }
        return Optional.empty();
    }

    private static boolean isNumeric(String t) {
        return t.equals("numeric") || NUMERIC.matcher(t).matches();
    }

    /**
     * numeric(p1,s1) + numeric(p2,s2): as many integer digits as the wider side and as many fraction digits
     * as the finer side, e.g. (18,4) + (20,8) → (22,8): (20,8) alone would lose the 13th and 14th integer
     * digit that (18,4) allows.
     */
    private static String numeric(String a, String b) {
        Matcher ma = NUMERIC.matcher(a);
        Matcher mb = NUMERIC.matcher(b);
        if (!ma.matches() || !mb.matches()) {
            return "numeric";
        }
        int pa = Integer.parseInt(ma.group(1));
        int sa = Integer.parseInt(ma.group(2));
        int pb = Integer.parseInt(mb.group(1));
        int sb = Integer.parseInt(mb.group(2));
        int scale = Math.max(sa, sb);
        int precision = Math.max(pa - sa, pb - sb) + scale;
        return precision > 1000 ? "numeric" : "numeric(" + precision + "," + scale + ")";
    }

    private static boolean isFloat(String t) {
        return t.equals("real") || t.equals("double precision");
    }

    private static boolean isText(String t) {
        return t.equals("text") || t.equals("character varying") || VARCHAR.matcher(t).matches() || CHAR.matcher(t).matches();
    }

    private static String text(String a, String b) {
        if (a.equals("text") || b.equals("text") || a.equals("character varying") || b.equals("character varying")) {
            return a.equals("character varying") && b.equals("character varying") ? a : "text";
        }
        Matcher ca = CHAR.matcher(a);
        Matcher cb = CHAR.matcher(b);
        if (ca.matches() && cb.matches()) {
            return "character(" + Math.max(Integer.parseInt(ca.group(1)), Integer.parseInt(cb.group(1))) + ")";
        }
        return "character varying(" + Math.max(length(a), length(b)) + ")";
    }

    private static int length(String t) {
        Matcher m = VARCHAR.matcher(t);
        if (m.matches()) {
            return Integer.parseInt(m.group(1));
        }
        Matcher c = CHAR.matcher(t);
        c.matches();
        return Integer.parseInt(c.group(1));
    }

    private static boolean isJson(String t) {
        return t.equals("json") || t.equals("jsonb");
    }

    /**
     * Enum labels of several instances merged in order: a label missing from the first list goes right after
     * its predecessor in the list that has it (pending, active, suspended + active, restricted → pending,
     * active, restricted, suspended).
     */
    public static List<String> unionLabels(List<List<String>> lists) {
        List<String> out = new java.util.ArrayList<>(lists.get(0));
        for (List<String> labels : lists.subList(1, lists.size())) {
            for (int i = 0; i < labels.size(); i++) {
                String label = labels.get(i);
                if (out.contains(label)) {
                    continue;
                }
                int at = i == 0 ? 0 : out.indexOf(labels.get(i - 1)) + 1;
                out.add(at, label);
            }
        }
        return out;
    }
}
