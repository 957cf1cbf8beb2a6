package io.tributary.cdc;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The transform stage: one pgoutput message (protocol version 1, text values) into one {@link Change}.
 * The format is small and documented ("Logical Replication Message Formats" in the PostgreSQL manual), so it is
 * parsed here rather than through a library: Debezium's embedded engine would bring its own offsets, threads and
 * event model, and no smaller decoder on Maven Central is maintained.
 */
final class PgOutputDecoder {
    /** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
    private static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

    private PgOutputDecoder() {
    }

    /** A column value as pgoutput sends it: SQL NULL, an unchanged TOASTed value not resent, or text. */
    record Value(Kind kind, String text) {
        enum Kind { NULL, UNCHANGED_TOAST, TEXT }

        static final Value NULL = new Value(Kind.NULL, null);
        static final Value UNCHANGED = new Value(Kind.UNCHANGED_TOAST, null);

        boolean unchangedToast() {
            return kind == Kind.UNCHANGED_TOAST;
        }
    }

    /** A column of a Relation message; {@code key} marks the replica identity columns. */
    record Column(String name, int typeOid, int typeModifier, boolean key) {
    }

    sealed interface Change permits Begin, Commit, Relation, Insert, Update, Delete, Truncate, Ignored {
    }

    /** {@code finalLsn}: the LSN of the transaction's commit record. */
    record Begin(long finalLsn, Instant commitTime, int xid) implements Change {
    }

    /** {@code endLsn}: the end of the commit record, the position to resume after. */
    record Commit(long commitLsn, long endLsn, Instant commitTime) implements Change {
    }

    /** {@code identity}: d (default: primary key), n (nothing), f (full row), i (an index). */
    record Relation(int oid, String schema, String name, char identity, List<Column> columns) implements Change {
    }

    record Insert(int relation, List<Value> row) implements Change {
    }

    /** {@code oldRow}: the old key (identity columns) or the whole old row (identity full); null if unchanged. */
    record Update(int relation, List<Value> oldRow, boolean oldIsKeyOnly, List<Value> row) implements Change {
    }

    record Delete(int relation, List<Value> oldRow, boolean oldIsKeyOnly) implements Change {
    }

    record Truncate(List<Integer> relations, boolean cascade, boolean restartIdentity) implements Change {
    }

    /** Origin, Type and logical Message records: nothing to apply. */
    record Ignored(char tag) implements Change {
    }

    static Change decode(ByteBuffer buffer) {
        char tag = (char) buffer.get();
        return switch (tag) {
            case 'B' -> new Begin(buffer.getLong(), time(buffer.getLong()), buffer.getInt());
            case 'C' -> {
                buffer.get(); // flags, unused
                yield new Commit(buffer.getLong(), buffer.getLong(), time(buffer.getLong()));
            }
            case 'R' -> relation(buffer);
            case 'I' -> {
                int rel = buffer.getInt();
                expect(buffer, 'N');
                yield new Insert(rel, tuple(buffer));
            }
            case 'U' -> {
                int rel = buffer.getInt();
                char next = (char) buffer.get();
                List<Value> old = null;
                boolean keyOnly = false;
                if (next == 'K' || next == 'O') {
                    keyOnly = next == 'K';
                    old = tuple(buffer);
                    next = (char) buffer.get();
                }
                if (next != 'N') {
                    throw new IllegalStateException("pgoutput Update: expected 'N', got '" + next + "'");
                }
                yield new Update(rel, old, keyOnly, tuple(buffer));
            }
            case 'D' -> {
                int rel = buffer.getInt();
                char kind = (char) buffer.get();
                yield new Delete(rel, tuple(buffer), kind == 'K');
            }
            case 'T' -> {
                int n = buffer.getInt();
                int options = buffer.get();
                List<Integer> rels = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    rels.add(buffer.getInt());
                }
                yield new Truncate(rels, (options & 1) != 0, (options & 2) != 0);
            }
            default -> new Ignored(tag); // 'O' origin, 'Y' type, 'M' message
        };
    }

    private static Relation relation(ByteBuffer buffer) {
        int oid = buffer.getInt();
        String schema = string(buffer);
        String name = string(buffer);
        char identity = (char) buffer.get();
        int n = buffer.getShort();
        List<Column> columns = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean key = (buffer.get() & 1) != 0;
            columns.add(new Column(string(buffer), buffer.getInt(), buffer.getInt(), key));
        }
        return new Relation(oid, schema, name, identity, List.copyOf(columns));
    }

    private static List<Value> tuple(ByteBuffer buffer) {
        int n = buffer.getShort();
        List<Value> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            char kind = (char) buffer.get();
            switch (kind) {
                case 'n' -> values.add(Value.NULL);
                case 'u' -> values.add(Value.UNCHANGED);
                case 't' -> {
                    byte[] bytes = new byte[buffer.getInt()];
                    buffer.get(bytes);
                    values.add(new Value(Value.Kind.TEXT, new String(bytes, StandardCharsets.UTF_8)));
                }
                default -> throw new IllegalStateException("pgoutput tuple: unknown column kind '" + kind + "'");
            }
        }
        return values;
    }

    private static String string(ByteBuffer buffer) {
        int start = buffer.position();
        int end = start;
        while (buffer.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - start];
        buffer.get(bytes);
        buffer.get(); // the terminating zero
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void expect(ByteBuffer buffer, char tag) {
        char got = (char) buffer.get();
        if (got != tag) {
            throw new IllegalStateException("pgoutput: expected '" + tag + "', got '" + got + "'");
        }
    }

    private static Instant time(long pgMicros) {
        long micros = pgMicros + PG_EPOCH_MICROS;
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }
}
