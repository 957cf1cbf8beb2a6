package io.tributary.catalog;

/**
 * One column as the catalog describes it, with what the checksum needs to render it canonically.
 *
 * @param name        the column name (unquoted)
 * @param type        the declared type as {@code format_type} spells it, e.g. {@code numeric(10,2)}
 * @param canonical   how the checksum renders the value (see {@link CanonicalForm})
 * @param notNull     NOT NULL constraint
 * @param defaultExpr the default expression, or null; sequence defaults are dropped (see {@link CatalogReader})
 * @param portableBinary false when binary COPY would embed a database-local type OID (arrays or composites
 *                    of user-defined types), so the copy must fall back to text format
 * @param typeOid     the column type's OID in the database it was read from
 * @param generated   a stored generated column ({@code GENERATED ALWAYS AS (...) STORED}): never written by a
 *                    COPY (the database computes it), but hashed like any other column, so that a target whose
 *                    generation expression differs from the source's is caught
 */
public record ColumnShape(
        String name,
        String type,
        CanonicalForm canonical,
        boolean notNull,
        String defaultExpr,
        boolean portableBinary,
        long typeOid,
        boolean generated) {

    /** A column that is not generated. */
    public ColumnShape(String name, String type, CanonicalForm canonical, boolean notNull, String defaultExpr,
            boolean portableBinary, long typeOid) {
        this(name, type, canonical, notNull, defaultExpr, portableBinary, typeOid, false);
    }

    /** A column known only by name and type (tests, hand-built shapes). */
    public static ColumnShape of(String name, String type, CanonicalForm canonical) {
        return new ColumnShape(name, type, canonical, false, null, true, 0);
    }

    /** The same column, generated (or not) as the database that receives it says. */
    public ColumnShape asGenerated(boolean isGenerated) {
        return new ColumnShape(name, type, canonical, notNull, defaultExpr, portableBinary, typeOid, isGenerated);
    }

    public String quotedName() {
        return Identifiers.quote(name);
    }

    /** How a value is turned into text before hashing, so equal data hashes equally on any server. */
    public enum CanonicalForm {
        /** The type's own text output (with the session settings fixed by the connection factory). */
        TEXT,
        /** {@code trim_scale(x)::text}: numeric(10,2) 1.50 and numeric(12,4) 1.5000 are the same number. */
        NUMERIC,
        /** {@code trim_scale(x::numeric)::text}: money's text form depends on lc_monetary. */
        MONEY,
        /** {@code x::jsonb::text}: json keeps whitespace and key order; jsonb normalises both. */
        JSON,
        /**
         * numeric[] (any dimensions, any depth): the array text with trailing fractional zeros stripped from
         * each element, so {1.50,2.00} in numeric(10,2)[] equals {1.5,2} in numeric[].
         */
        NUMERIC_ARRAY
    }
}
