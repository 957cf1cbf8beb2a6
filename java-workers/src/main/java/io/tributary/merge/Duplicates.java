package io.tributary.merge;

import io.tributary.catalog.ColumnShape;
import io.tributary.result.JobFailure;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;

/**
 * Which row of a duplicate natural key wins, and why: the one rule both {@code tributary resolve} (before the
 * copy) and {@code tributary follow} (a live change creating a new duplicate) apply. source-wins: the source named
 * by {@code source_wins}, else the first in configuration order; last-write-wins: the newer value of the
 * last-write column (a missing value loses), ties by source order; manual: source order, the loser parked open.
 */
public final class Duplicates {
    private Duplicates() {
    }

    /** One row behind a shared natural key: its source, that source's place in the order, its last write. */
    public record Contender(int sourceIndex, String source, Comparable<?> lastWrite) {
    }

    /** The index of the winner in {@code contenders}. */
    public static int winner(List<Contender> contenders, MergeRules.Strategy strategy) {
        Comparator<Contender> bySource = Comparator.comparingInt(c -> strategy.winner() != null
                && strategy.winner().equals(c.source()) ? -1 : c.sourceIndex());
        Comparator<Contender> order = switch (strategy.name()) {
            case "last-write-wins" -> ((Comparator<Contender>) (a, b) -> -compare(a.lastWrite(), b.lastWrite()))
                    .thenComparing(bySource);
            default -> bySource;
        };
        Contender best = contenders.stream().sorted(order).findFirst().orElseThrow();
        return contenders.indexOf(best);
    }

    public static boolean manual(MergeRules.Strategy strategy) {
        return "manual".equals(strategy.name());
    }

    /** The reason recorded in conflict_queue. */
    public static String reason(MergeRules.Strategy strategy, Contender winner, Contender loser) {
        return switch (strategy.name()) {
            case "last-write-wins" -> strategy.lastWriteColumn() + " " + winner.lastWrite() + " ("
                    + winner.source() + ") vs " + loser.lastWrite() + " (" + loser.source() + ")"
                    + (compare(winner.lastWrite(), loser.lastWrite()) == 0 ? ", tie: " + winner.source() + " wins" : "");
            case "source-wins" -> winner.source() + " is the source of truth";
            default -> "manual: " + winner.source() + "'s row is in the target until someone decides";
        };
    }

    /**
     * SQL giving a row's last-write value as text ("NULL" when the strategy is not last-write-wins): timestamps as
     * epoch seconds, numbers as numeric, so that {@link #lastWrite} compares them by value.
     */
    public static String lastWriteSql(MergeRules.Strategy strategy, List<ColumnShape> columns, String where) {
        if (!"last-write-wins".equals(strategy.name())) {
            return "NULL";
        }
        String col = strategy.lastWriteColumn();
        ColumnShape c = columns.stream().filter(x -> x.name().equals(col)).findFirst().orElseThrow(
                () -> JobFailure.badInput("last_write_column " + col + " does not exist in " + where));
        return c.type().startsWith("timestamp") || c.type().equals("date")
                ? "CAST(extract(epoch FROM " + c.quotedName() + ") AS text)"
                : c.canonical() == ColumnShape.CanonicalForm.TEXT && !KeyRemapper.INTEGER_TYPES.contains(c.type())
                        ? "CAST(" + c.quotedName() + " AS text)" : "CAST(CAST(" + c.quotedName() + " AS numeric) AS text)";
    }

    /** The value {@link #lastWriteSql} returned, ready to compare. */
    public static Comparable<?> lastWrite(String sql, String value) {
        boolean numeric = sql.contains("epoch") || sql.contains("numeric");
        return value == null ? null : numeric ? new BigDecimal(value) : value;
    }

    /** Nulls lose: a row without a timestamp never beats one with. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compare(Comparable a, Comparable b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return a.compareTo(b);
    }
}
