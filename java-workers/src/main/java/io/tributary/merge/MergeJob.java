package io.tributary.merge;

import io.tributary.catalog.TableRef;
import io.tributary.result.JobFailure;

/** One source table feeding one target table: the unit {@code tributary resolve} and {@code copy} agree on. */
public record MergeJob(String source, TableRef table, String target, TableRef targetTable) {

    /**
     * Parses {@code SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE][@TARGET]} (the target table defaults to the source's name,
     * the target connection to {@code defaultTarget}). The table names are read by {@link TableRef#scan}, so a
     * quoted name may hold {@code =}, {@code @} or dots.
     */
    public static MergeJob parse(String text, String defaultTarget) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0) {
            throw JobFailure.badInput("--table '" + text + "' must be SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE]"
                    + " (e.g. src_eu:public.users)");
        }
        String source = text.substring(0, colon);
        String what = "--table " + source + ":";
        TableRef.Scan first = TableRef.scan(text, colon + 1, 2, what);
        TableRef table = new TableRef(first.parts().get(0), first.parts().get(1));
        TableRef targetTable = table;
        int at = first.end();
        if (at < text.length() && text.charAt(at) == '=') {
            TableRef.Scan second = TableRef.scan(text, at + 1, 2, what);
            targetTable = new TableRef(second.parts().get(0), second.parts().get(1));
            at = second.end();
        }
        String target = defaultTarget;
        if (at < text.length()) {
            if (text.charAt(at) != '@' || at + 1 == text.length()) {
                throw JobFailure.badInput("--table '" + text + "' must be SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE][@TARGET]:"
                        + " unexpected '" + text.charAt(at) + "' at position " + (at + 1));
            }
            target = text.substring(at + 1);
        }
        return new MergeJob(source, table, target, targetTable);
    }

    public String label() {
        return source + "." + table + " → " + target + "." + targetTable;
    }
}
