package io.tributary.catalog;

/**
 * The one place SQL names and literals are quoted. Every identifier the engine renders goes through
 * {@link #quote}, so mixed-case, reserved or odd names work and nothing is ever SQL-injected.
 */
public final class Identifiers {
    private Identifiers() {
    }

    /** {@code users} → {@code "users"}, {@code we"ird} → {@code "we""ird"}. */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("empty SQL identifier");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("SQL identifier contains a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** {@code "schema"."name"}. */
    public static String qualified(String schema, String name) {
        return quote(schema) + '.' + quote(name);
    }

    /**
     * A string literal for the few places that cannot take bind parameters (COPY (SELECT ...) cannot).
     * Correct because every connection runs with standard_conforming_strings=on.
     */
    public static String literal(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("SQL literal contains a NUL character");
        }
        return '\'' + value.replace("'", "''") + '\'';
    }
}
