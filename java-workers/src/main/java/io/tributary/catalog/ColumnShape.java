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

    /**
     * SQL for the canonical text of several expressions (one as its text, several as a ROW's text): equal
     * values give equal text whatever the instance's declared type or locale. The one rendering of keys that
     * discovery's conflict detection and resolve's key map both use, so they count the same duplicates.
     */
    public static String canonicalText(java.util.List<String> expressions, java.util.List<ColumnShape> columns) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        for (int i = 0; i < expressions.size(); i++) {
            String e = expressions.get(i);
            parts.add(switch (columns.get(i).canonical()) {
                case NUMERIC -> "CAST(pg_catalog.trim_scale(" + e + ") AS text)";
                case MONEY -> "CAST(pg_catalog.trim_scale(CAST(" + e + " AS numeric)) AS text)";
                case JSON -> "CAST(CAST(" + e + " AS jsonb) AS text)";
                case TEXT, NUMERIC_ARRAY -> "CAST(" + e + " AS text)"; // array keys: rare, compared as typed
            });
        }
        return parts.size() == 1 ? parts.get(0) : "CAST(ROW(" + String.join(", ", parts) + ") AS text)";
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
        NUMERIC_ARRAY;

        /**
         * The form for a type known only by its {@code format_type} name (discovery's inventory), for the
         * built-in types; the catalog reader decides by type OID, which also sees through domains.
         */
        public static CanonicalForm ofTypeName(String type) {
            if (type == null) {
                return TEXT;
            }
            String t = type.strip();
            boolean array = t.endsWith("[]");
            String base = array ? t.substring(0, t.indexOf('[')) : t;
            boolean numeric = base.equals("numeric") || base.startsWith("numeric(");
            if (array) {
                return numeric ? NUMERIC_ARRAY : TEXT;
            }
            return numeric ? NUMERIC : base.equals("money") ? MONEY : base.equals("json") ? JSON : TEXT;
        }
    }
}
