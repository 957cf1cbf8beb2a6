package io.tributary.verify;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.KeyRange;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.connect.ConnectionFactory;
import io.tributary.connect.DatabaseFault;
import io.tributary.result.JobFailure;
import io.tributary.result.RunSummary;
import io.tributary.source.PostgresSnapshot;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;

/**
 * Checksums a table on one connection, in a read-only snapshot ({@link PostgresSnapshot}; on Redshift, a read-only
 * transaction): what {@code tributary checksum} runs.
 */
public final class TableVerification {
    private final ConnectionFactory connections;
    private final RunSummary summary;

    public TableVerification(ConnectionFactory connections, RunSummary summary) {
        this.connections = connections;
        this.summary = summary;
    }

    /** The checksum result line (XCom). */
    public record Result(String table, String conn, long rows, String checksum, double seconds, String whereRange,
            List<String> columns, String dialect, String hash) {
    }

    public Result checksum(String conn, TableRef table, List<String> columns, KeyRange range) {
        return checksum(conn, table, columns, range, ChecksumDialect.POSTGRES);
    }

    /**
     * With {@link ChecksumDialect#REDSHIFT} the columns come from information_schema (Redshift's pg_catalog cannot
     * answer {@link CatalogReader}'s query) and the row hash is the portable one.
     */
    public Result checksum(String conn, TableRef table, List<String> columns, KeyRange range, ChecksumDialect dialect) {
        return checksum(conn, table, columns, range, dialect, () -> { });
    }

    /**
     * {@code ready} runs once connected, before the first statement (so before the snapshot is taken): the
     * caller's cue to wait for its moment ({@code --start-file}); the figures are those of the data after it.
     */
    public Result checksum(String conn, TableRef table, List<String> columns, KeyRange range, ChecksumDialect dialect,
            Runnable ready) {
        long started = System.nanoTime();
        connections.uri(conn);
        boolean redshift = dialect == ChecksumDialect.REDSHIFT;
        PostgresSnapshot snapshot = null;
        Connection connection;
        try (RunSummary.Step step = summary.begin("connect")) {
            if (redshift) {
                connection = connections.open(conn);
            } else {
                snapshot = PostgresSnapshot.open(connections, conn);
                connection = snapshot.connection();
            }
        }
        try {
            ready.run();
        } catch (RuntimeException e) {
            ConnectionFactory.closeQuietly(connection);
            throw e;
        }
        try {
            if (redshift) {
                connection.setAutoCommit(false);
                try (Statement st = connection.createStatement()) {
                    // floats print %.17g / %.8g there, as the portable text expects (r_extra_float_digits)
                    st.execute("SET extra_float_digits TO 2");
                    // Redshift is always serializable; it rejects REPEATABLE READ
                    st.execute("SET TRANSACTION READ ONLY");
                }
            }
            Optional<TableShape> found = redshift
                    ? InformationSchemaShape.read(connection, table)
                    : new CatalogReader().read(connection, table);
            TableShape shape = found.orElseThrow(() -> JobFailure.badInput(
                    "table " + table + " does not exist in " + conn));
            RowSelection selection = RowSelection.of(shape, columns, range, "table " + table + " in " + conn);
            Checksum checksum;
            try (RunSummary.Step step = summary.begin("checksum")) {
                checksum = new TableChecksum(selection, dialect).compute(connection);
                step.rows(checksum.rows());
            }
            if (snapshot != null) {
                snapshot.end();
            } else {
                connection.commit();
            }
            double seconds = Math.round((System.nanoTime() - started) / 1e6) / 1e3;
            return new Result(table.toString(), conn, checksum.rows(), checksum.hex(), seconds,
                    range == null ? null : range.toString(),
                    selection.columns().stream().map(c -> c.name()).toList(), dialect.database(), dialect.hash());
        } catch (SQLException e) {
            throw DatabaseFault.classify(e, conn);
        } finally {
            ConnectionFactory.closeQuietly(connection);
        }
    }
}
