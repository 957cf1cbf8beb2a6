package io.tributary.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tributary.connect.ConnectionFactory;
import io.tributary.result.ExitCode;
import io.tributary.result.JobFailure;
import io.tributary.testing.RequiresPostgres;
import io.tributary.testing.ScratchDatabase;
import io.tributary.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The source seam against a real PostgreSQL: the coordinator and every reader attached to its snapshot see the
 * same rows while a writer commits beside them; the snapshot is read-only; closing it releases it.
 */
@RequiresPostgres
class ReadersAttachedToOneSnapshotSeeOneStateTest {
    static ScratchDatabase db;
    static ConnectionFactory connections;

    @BeforeAll
    static void createTable() {
        db = TestPostgres.createDatabase("source_snapshot");
        connections = new ConnectionFactory(Map.of("TRIBUTARY_CONN_SRC", db.uri()), "test");
    }

    @BeforeEach
    void threeRows() {
        db.execute("DROP TABLE IF EXISTS public.t", "CREATE TABLE public.t (id int PRIMARY KEY, v text)",
                "INSERT INTO public.t SELECT g, 'row ' || g FROM generate_series(1, 3) g");
    }

    @AfterAll
    static void dropDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void attachedReadersSeeTheSnapshotWhileAWriterCommits() throws SQLException {
        try (PostgresSnapshot snapshot = PostgresSnapshot.open(connections, "src")) {
            assertEquals("3|6", figures(snapshot.connection()), "the first read fixes the snapshot");
            assertFalse(snapshot.imported());
            String id = snapshot.id();
            assertNotNull(id);
            assertEquals(id, snapshot.id(), "exported once");

            db.execute("INSERT INTO public.t VALUES (4, 'row 4')", "UPDATE public.t SET id = 10 WHERE id = 1");

            Connection first = snapshot.attach();
            Connection second = snapshot.attach();
            try {
                assertEquals("3|6", figures(first));
                assertEquals("3|6", figures(second));
                assertEquals("3|6", figures(snapshot.connection()));
                assertEquals("4|19", db.query("SELECT count(*) || '|' || sum(id) FROM public.t"), "the writer committed");
            } finally {
                first.commit();
                second.commit();
                ConnectionFactory.closeQuietly(first);
                ConnectionFactory.closeQuietly(second);
            }

            // Another process attaches by id (the way copy --snapshot does) and sees the same state.
            try (PostgresSnapshot elsewhere = PostgresSnapshot.attach(connections, "src", id)) {
                assertTrue(elsewhere.imported());
                assertEquals(id, elsewhere.id());
                assertEquals("3|6", figures(elsewhere.connection()));
            }
        }
    }

    @Test
    void theSnapshotIsReadOnly() {
        try (PostgresSnapshot snapshot = PostgresSnapshot.open(connections, "src")) {
            Connection reader = snapshot.attach();
            try {
                SQLException coordinator = assertThrows(SQLException.class,
                        () -> execute(snapshot.connection(), "DELETE FROM public.t"));
                assertEquals("25006", coordinator.getSQLState());
                SQLException attached = assertThrows(SQLException.class, () -> execute(reader, "DELETE FROM public.t"));
                assertEquals("25006", attached.getSQLState());
            } finally {
                ConnectionFactory.closeQuietly(reader);
            }
        }
        assertEquals("3", db.query("SELECT count(*) FROM public.t"));
    }

    @Test
    void closingReleasesTheSnapshot() {
        String id;
        try (PostgresSnapshot snapshot = PostgresSnapshot.open(connections, "src")) {
            id = snapshot.id();
        }
        JobFailure gone = assertThrows(JobFailure.class, () -> PostgresSnapshot.attach(connections, "src", id));
        assertEquals(ExitCode.BAD_INPUT, gone.exitCode(), gone.getMessage());
        assertTrue(gone.getMessage().contains("snapshot " + id), gone.getMessage());

        PostgresSnapshot ended = PostgresSnapshot.open(connections, "src");
        try {
            String endedId = ended.id();
            ended.end();
            assertEquals(ExitCode.BAD_INPUT, assertThrows(JobFailure.class,
                    () -> PostgresSnapshot.attach(connections, "src", endedId)).exitCode());
        } finally {
            ended.close();
        }
    }

    @Test
    void visibleTransactionsSayWhichCommitsTheSnapshotHolds() throws SQLException {
        String before = db.query("INSERT INTO public.t VALUES (5, 'before') RETURNING txid_current()");
        try (PostgresSnapshot snapshot = PostgresSnapshot.open(connections, "src")) {
            String transactions = snapshot.visibleTransactions();
            String after = db.query("INSERT INTO public.t VALUES (6, 'after') RETURNING txid_current()");
            assertEquals("4|11", figures(snapshot.connection()));
            assertEquals("t", db.query("SELECT txid_visible_in_snapshot(" + before + ", '" + transactions
                    + "'::txid_snapshot)"), "committed before: in the snapshot (" + transactions + ")");
            assertEquals("f", db.query("SELECT txid_visible_in_snapshot(" + after + ", '" + transactions
                    + "'::txid_snapshot)"), "committed after: not in it (" + transactions + ")");
        }
    }

    private static String figures(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) || '|' || sum(id) FROM public.t")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
