package io.tributary.config;

import java.util.regex.Pattern;

/**
 * migration.yaml's table globs ({@code tables[].match}, {@code archive.tables}, Params filters) with the
 * semantics of Python's {@code fnmatch.fnmatchcase}, which the DAGs use: {@code *} any run of characters
 * (newlines too), {@code ?} one character, {@code [seq]} one of seq (ranges like {@code a-z}), {@code [!seq]}
 * none of seq, an unclosed {@code [} is literal, case-sensitive. config/glob-cases.json pins both languages.
 */
public final class TableGlob {
    private TableGlob() {
    }

    /** Whether the text has any glob syntax (else it names exactly one thing). */
    public static boolean isGlob(String text) {
        return text.indexOf('*') >= 0 || text.indexOf('?') >= 0 || text.indexOf('[') >= 0;
    }

    public static boolean matches(String glob, String name) {
        return compile(glob).matcher(name).matches();
    }

    public static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        int n = glob.length();
        while (i < n) {
            char c = glob.charAt(i++);
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else if (c == '[') {
                int j = i;
                if (j < n && glob.charAt(j) == '!') {
                    j++;
                }
                if (j < n && glob.charAt(j) == ']') {
                    j++; // a ']' first in the set is one of its characters
                }
                while (j < n && glob.charAt(j) != ']') {
                    j++;
                }
                if (j >= n) {
                    re.append("\\[");
                } else {
                    re.append(characterClass(glob.substring(i, j)));
                    i = j + 1;
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    /** One [seq] or [!seq] as a Java class; reversed ranges match nothing, as in fnmatch. */
    private static String characterClass(String set) {
        boolean negate = set.startsWith("!");
        String body = negate ? set.substring(1) : set;
        StringBuilder cls = new StringBuilder();
        for (int k = 0; k < body.length(); k++) {
            char from = body.charAt(k);
            if (k + 2 < body.length() && body.charAt(k + 1) == '-') {
                char to = body.charAt(k + 2);
                k += 2;
                if (from <= to) {
                    cls.append(escape(from)).append('-').append(escape(to));
                }
            } else {
                cls.append(escape(from));
            }
        }
        if (cls.length() == 0) {
            return negate ? "." : "(?!)";
        }
        return (negate ? "[^" : "[") + cls + "]";
    }

    private static String escape(char c) {
        return Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c;
    }
}
