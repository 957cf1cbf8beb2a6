package io.tributary.source;

import java.sql.Connection;

/**
 * One consistent, read-only view of a source at one moment: every read through {@link #connection()} or through
 * an {@link #attach() attached} connection sees the same committed rows, whatever commits meanwhile. Copy, diff,
 * stage, archive and checksum read their source through it.
 *
 * <p>PostgreSQL ({@link PostgresSnapshot}) is the only kind today. Another kind of source (a generic JDBC
 * database, a file snapshot) becomes another implementation; readers that need more than JDBC would get their own
 * reader type then, not a branch here.
 */
public interface SourceSnapshot extends AutoCloseable {

    /** The connection id (config) of the source. */
    String connectionId();

    /** The coordinator: the connection that holds the snapshot open. Not thread-safe; one reader at a time. */
    Connection connection();

    /**
     * The id other sessions, in this process or another, attach with (PostgreSQL: the exported snapshot's name).
     * It stays valid until {@link #end()} or {@link #close()}.
     */
    String id();

    /** True when this snapshot was exported elsewhere and attached to by id, not taken here. */
    boolean imported();

    /** A further connection in the same snapshot, for a parallel reader; the caller ends and closes it. */
    Connection attach();

    /** Ends the snapshot normally (its transaction commits; nothing was written). Attached readers end their own. */
    void end();

    /** Releases the snapshot: closes the coordinator (a snapshot not {@link #end() ended} is rolled back). */
    @Override
    void close();
}
