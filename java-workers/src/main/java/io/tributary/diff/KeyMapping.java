package io.tributary.diff;

/**
 * How a source key becomes the target's key (many-to-one consolidation remaps keys). The diff works in the
 * target's key space: the source relation selects mapped keys, and key bounds are mapped back so the
 * source's own index still serves range predicates. Only an order-preserving mapping can be bisected.
 * Today: identity and a constant offset on a single integer key; a lookup-table mapping (later phases)
 * would be another implementation.
 */
interface KeyMapping {
    KeyMapping IDENTITY = new KeyMapping() {
        @Override
        public String select(String quotedColumn) {
            return quotedColumn;
        }

        @Override
        public String unmapBound(String boundSql) {
            return boundSql;
        }

        @Override
        public long offset() {
            return 0;
        }
    };

    /** {@code source key + offset}. */
    static KeyMapping offset(long offset) {
        return new KeyMapping() {
            @Override
            public String select(String quotedColumn) {
                return "(" + quotedColumn + "::int8 + " + offset + ")";
            }

            @Override
            public String unmapBound(String boundSql) {
                return "(" + boundSql + " - " + offset + ")";
            }

            @Override
            public long offset() {
                return offset;
            }
        };
    }

    /** The SELECT expression yielding the target-space key from the source column. */
    String select(String quotedColumn);

    /** A target-space bound (SQL expression) as a bound on the source column. */
    String unmapBound(String boundSql);

    /** The constant added to source keys (0 for identity); lets min/max run on the source's own column. */
    long offset();

    default boolean isIdentity() {
        return offset() == 0;
    }
}
