package io.tributary.catalog;

import io.tributary.result.JobFailure;

/**
 * A table named as users write it in config and on the command line: {@code schema.table}, the exact
 * catalog names (case-sensitive, no SQL quoting; the engine quotes).
 */
public record TableRef(String schema, String name) {

    public TableRef {
        if (schema == null || schema.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("schema and table name are required");
        }
    }

    /** Parses {@code schema.table}; anything else is bad input (exit 2). */
    public static TableRef parse(String text, String what) {
        if (text == null || text.isBlank()) {
            throw JobFailure.badInput(what + " is required, as schema.table");
        }
        int dot = text.indexOf('.');
        if (dot <= 0 || dot == text.length() - 1 || text.indexOf('.', dot + 1) >= 0 || !text.strip().equals(text)) {
            throw JobFailure.badInput(what + " '" + text + "' must be schema.table (e.g. public.users)");
        }
        return new TableRef(text.substring(0, dot), text.substring(dot + 1));
    }

    public String quoted() {
        return Identifiers.qualified(schema, name);
    }

    public TableRef inSchema(String otherSchema) {
        return new TableRef(otherSchema, name);
    }

    @Override
    public String toString() {
        return schema + '.' + name;
    }
}
