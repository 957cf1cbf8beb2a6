package io.tributary.conflicts;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One instance's keys as a stream of 64-bit values in ascending order (an integer key, or a hash of a
 * natural key), optionally with a second value per row. Read through a cursor: constant memory whatever
 * the table size.
 */
public final class SortedKeyStream implements AutoCloseable {
    private static final int FETCH = 10_000;

    final int instance;
    private final Statement statement;
    private final ResultSet rows;
    private final boolean pairs;
    private boolean hasRow;
    private long key;
    private long second;

    /** {@code sql} returns (key) or (key, second) ordered by key, then second. */
    public SortedKeyStream(int instance, Connection c, String sql, boolean pairs) throws SQLException {
        this.instance = instance;
        this.pairs = pairs;
        c.setAutoCommit(false); // pgjdbc streams with a cursor only inside a transaction
        c.setReadOnly(true);
        this.statement = c.createStatement();
        statement.setFetchSize(FETCH);
        this.rows = statement.executeQuery(sql);
        advance();
    }

    boolean hasRow() {
        return hasRow;
    }

    long key() {
        return key;
    }

    long second() {
        return second;
    }

    void advance() throws SQLException {
        hasRow = rows.next();
        if (hasRow) {
            key = rows.getLong(1);
            second = pairs ? rows.getLong(2) : 0;
        }
    }

    @Override
    public void close() throws SQLException {
        try {
            rows.close();
            statement.close();
        } finally {
            statement.getConnection().rollback();
        }
    }
}
