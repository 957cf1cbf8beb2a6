package io.tributary.merge;

import io.tributary.catalog.TableRef;
import io.tributary.result.JobFailure;

/** One source table feeding one target table: the unit {@code tributary resolve} and {@code copy} agree on. */
public record MergeJob(String source, TableRef table, String target, TableRef targetTable) {

    /**
     * Parses {@code SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE]} (the target table defaults to the source's name); the
     * target connection is given separately.
     */
    public static MergeJob parse(String text, String defaultTarget) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0) {
            throw JobFailure.badInput("--table '" + text + "' must be SOURCE:SCHEMA.TABLE[=SCHEMA.TABLE]"
                    + " (e.g. src_eu:public.users)");
        }
        String source = text.substring(0, colon);
        String rest = text.substring(colon + 1);
        String target = defaultTarget;
        int at = rest.indexOf('@');
        if (at > 0) {
            target = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        int eq = rest.indexOf('=');
        TableRef table = TableRef.parse(eq < 0 ? rest : rest.substring(0, eq), "--table " + text);
        TableRef targetTable = eq < 0 ? table : TableRef.parse(rest.substring(eq + 1), "--table " + text);
        return new MergeJob(source, table, target, targetTable);
    }

    public String label() {
        return source + "." + table + " → " + target + "." + targetTable;
    }
}
