package io.tributary.catalog;

import io.tributary.result.JobFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * A table named as users write it in config, on the command line and in the plan: {@code schema.table}, quoted the
 * way PostgreSQL quotes names. An unquoted part is taken exactly as written (case-sensitive: {@code public.Users}
 * is the table {@code Users}, no folding to lower case); a part in double quotes may hold anything, dots, spaces,
 * newlines, with {@code ""} for a quote ({@code public."""dqname"""} is the table {@code "dqname"}). A part needs
 * the quotes when it holds a dot, a quote, {@code =} or {@code @} (the separators of
 * {@code SOURCE:SCHEMA.TABLE=SCHEMA.TABLE@TARGET}), a line break, tab or other control character, or when it starts
 * or ends with a space (a space inside, as in {@code Sales.Order Lines}, may stand unquoted); {@link #toString} quotes
 * exactly those, so the form written into plans, XCom and the ledger parses back to the same names, and plain names
 * read as they always did. The Python twin is {@code dags/tributary/names.py}; both are held to
 * {@code docs/qualified-names.json}.
 */
public record TableRef(String schema, String name) {

    public TableRef {
        if (schema == null || schema.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("schema and table name are required");
        }
    }

    /** Parses {@code schema.table}; anything else is bad input (exit 2) naming {@code what}. */
    public static TableRef parse(String text, String what) {
        List<String> parts = parseName(text, 2, what);
        return new TableRef(parts.get(0), parts.get(1));
    }

    /** A name of exactly {@code parts} dot-separated identifiers (e.g. 3 for {@code instance.schema.table}). */
    public static List<String> parseName(String text, int parts, String what) {
        if (text == null || text.isEmpty()) {
            throw JobFailure.badInput(what + " is required, as " + shape(parts));
        }
        Scan scan = scan(text, 0, parts, what);
        if (scan.end() != text.length()) {
            throw bad(text, parts, what, "unexpected " + visible(text.charAt(scan.end())) + " at position "
                    + (scan.end() + 1));
        }
        return scan.parts();
    }

    /** What {@link #scan} read: the identifiers, and the index just after the name. */
    public record Scan(List<String> parts, int end) {
    }

    /**
     * Reads {@code parts} dot-separated identifiers from {@code text} at {@code from} and stops right after the
     * last one, at the end or at any character that cannot continue it (e.g. the {@code =} of
     * {@code public.a=public.b}); the caller decides what may follow.
     */
    public static Scan scan(String text, int from, int parts, String what) {
        List<String> out = new ArrayList<>();
        int i = from;
        while (true) {
            StringBuilder part = new StringBuilder();
            if (i < text.length() && text.charAt(i) == '"') {
                i++;
                while (true) {
                    if (i >= text.length()) {
                        throw bad(text, parts, what, "a double quote is not closed");
                    }
                    char c = text.charAt(i);
                    if (c == '"') {
                        if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                            part.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    part.append(c);
                    i++;
                }
                if (part.length() == 0) {
                    throw bad(text, parts, what, "\"\" is an empty name");
                }
            } else {
                while (i < text.length() && !endsUnquoted(text.codePointAt(i))) {
                    part.appendCodePoint(text.codePointAt(i));
                    i += Character.charCount(text.codePointAt(i));
                }
                if (part.length() > 0 && (isSpace(part.codePointAt(0))
                        || isSpace(part.codePointBefore(part.length())))) {
                    throw bad(text, parts, what, "a space at the start or end of a name must be inside double quotes"
                            + " (e.g. \"my table \")");
                }
                if (part.length() == 0) {
                    String why = i >= text.length() ? "a name is missing at the end"
                            : text.charAt(i) == '.' ? "a name is missing before a dot at position " + (i + 1)
                            : visible(text.charAt(i)) + " at position " + (i + 1)
                                    + " must be inside double quotes (e.g. \"my table\")";
                    throw bad(text, parts, what, why);
                }
            }
            if (part.indexOf("\0") >= 0) {
                throw bad(text, parts, what, "a name contains a NUL character");
            }
            out.add(part.toString());
            if (out.size() == parts) {
                return new Scan(List.copyOf(out), i);
            }
            if (i >= text.length() || text.charAt(i) != '.') {
                throw bad(text, parts, what, i >= text.length() ? "it has " + out.size() + " part(s), not " + parts
                        : visible(text.charAt(i)) + " at position " + (i + 1)
                                + " must be inside double quotes (e.g. \"my table\")");
            }
            i++;
        }
    }

    /** True when an identifier must be written in double quotes to read back as itself. */
    public static boolean needsQuotes(String identifier) {
        return identifier.isEmpty() || identifier.codePoints().anyMatch(TableRef::endsUnquoted)
                || isSpace(identifier.codePointAt(0)) || isSpace(identifier.codePointBefore(identifier.length()));
    }

    /** The identifier as written in a qualified name: as is, or in double quotes when {@link #needsQuotes}. */
    public static String quoteIfNeeded(String identifier) {
        return needsQuotes(identifier) ? '"' + identifier.replace("\"", "\"\"") + '"' : identifier;
    }

    /** Parts joined by dots, each quoted only if needed: what {@link #parseName} reads back. */
    public static String render(List<String> parts) {
        return String.join(".", parts.stream().map(TableRef::quoteIfNeeded).toList());
    }

    /** A character an unquoted name cannot hold: it ends the name there. */
    private static boolean endsUnquoted(int c) {
        if (c == '.' || c == '"' || c == '=' || c == '@') {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.CONTROL, Character.FORMAT -> true;
            default -> false;
        };
    }

    /** A space (Unicode space separator): allowed inside an unquoted name, not at its start or end. */
    private static boolean isSpace(int c) {
        return Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    private static JobFailure bad(String text, int parts, String what, String why) {
        return JobFailure.badInput(what + " " + visible(text) + " must be " + shape(parts)
                + " (double-quote a name holding dots, quotes, spaces or newlines, e.g. \"My Schema\".\"a.b\"): "
                + why);
    }

    private static String shape(int parts) {
        return parts == 3 ? "instance.schema.table" : "schema.table";
    }

    /** The text with control characters made visible, for messages on one line. */
    private static String visible(String text) {
        StringBuilder out = new StringBuilder("'");
        text.codePoints().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c)
                : new String(Character.toChars(c))));
        return out.append('\'').toString();
    }

    private static String visible(char c) {
        return visible(String.valueOf(c));
    }

    public String quoted() {
        return Identifiers.qualified(schema, name);
    }

    public TableRef inSchema(String otherSchema) {
        return new TableRef(otherSchema, name);
    }

    /** {@code schema.table}, parts quoted only where needed: {@link #parse} reads it back. */
    @Override
    public String toString() {
        return render(List.of(schema, name));
    }
}
