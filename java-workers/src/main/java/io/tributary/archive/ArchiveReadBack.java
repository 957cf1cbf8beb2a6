package io.tributary.archive;

import io.tributary.catalog.CatalogReader;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.RowSelection;
import io.tributary.catalog.TableRef;
import io.tributary.catalog.TableShape;
import io.tributary.parquet.ParquetCopyIn;
import io.tributary.result.JobFailure;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Fault;
import io.tributary.s3.S3Location;
import io.tributary.verify.Checksum;
import io.tributary.verify.TableChecksum;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.StringJoiner;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Verification of an archive by reading it back: every object is downloaded and decoded, its rows are loaded
 * into a temporary table on the control connection, and PostgreSQL computes the count and checksum there with
 * the same canonical rendering the source used. The bytes the worker wrote are never what is hashed: the rows
 * must survive Parquet encoding, upload, download and decoding to match.
 */
public final class ArchiveReadBack {
    private static final String TABLE = "tributary_archive_readback";

    private final ObjectStore store;

    public ArchiveReadBack(ObjectStore store) {
        this.store = store;
    }

    /** Count and checksum of what the archive's objects hold, computed in a transaction that is rolled back. */
    public CatalogEntry.Figures checksum(Connection connection, CatalogEntry entry) throws SQLException, IOException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        Path dir = Files.createTempDirectory("tributary-readback-");
        try {
            try (Statement st = connection.createStatement()) {
                st.execute("CREATE TEMP TABLE " + Identifiers.quote(TABLE) + columnsDdl(connection, entry)
                        + " ON COMMIT DROP");
            }
            TableRef temp = new TableRef(tempSchema(connection), TABLE);
            List<String> quoted = entry.columns().stream().map(c -> Identifiers.quote(c.name())).toList();
            for (CatalogEntry.DataFile file : entry.data().files()) {
                Path local = download(new S3Location(entry.storage().bucket(), file.key()), dir);
                try {
                    long rows = ParquetCopyIn.copy(connection, temp.quoted(), quoted, local);
                    if (rows != file.rows()) {
                        throw JobFailure.verificationFailed(file.key() + " holds " + rows + " rows, the catalog says "
                                + file.rows(), null);
                    }
                } finally {
                    Files.deleteIfExists(local);
                }
            }
            TableShape shape = new CatalogReader().read(connection, temp).orElseThrow();
            Checksum figures = new TableChecksum(RowSelection.of(shape, null)).compute(connection);
            return new CatalogEntry.Figures(figures.rows(), figures.hex(),
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        } finally {
            connection.rollback();
            connection.setAutoCommit(autoCommit);
            deleteQuietly(dir);
        }
    }

    /**
     * Downloads one object to a file (Parquet readers need random access to the footer), decrypting it when the
     * archive is client-side encrypted: a bad GCM tag fails here, before the file is read.
     */
    Path download(S3Location location, Path dir) throws IOException {
        Path local = Files.createTempFile(dir, "part-", ".parquet");
        try (InputStream in = store.get(location)) {
            Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
        } catch (SdkException e) {
            Files.deleteIfExists(local);
            throw S3Fault.classify(e, store.connectionId(), "read " + location);
        }
        return local;
    }

    /**
     * The temporary table's columns: each built-in type as archived; a domain as its base type; enums, composites
     * and other types local to the source as text. The checksum renders each the same way the source did (enum and
     * composite text is their label / row text; a domain renders like its base type).
     */
    static String columnsDdl(Connection connection, CatalogEntry entry) throws SQLException {
        StringJoiner cols = new StringJoiner(", ", " (", ")");
        for (CatalogEntry.Column c : entry.columns()) {
            cols.add(Identifiers.quote(c.name()) + " " + readBackType(connection, c.type(), entry.ddl()));
        }
        return entry.columns().isEmpty() ? " ()" : cols.toString();
    }

    static String readBackType(Connection connection, String type, ArchivedDdl ddl) throws SQLException {
        boolean array = type.endsWith("[]");
        String element = array ? type.substring(0, type.length() - 2) : type;
        for (ArchivedDdl.TypeDdl t : ddl.types()) {
            String qualified = Identifiers.qualified(t.schema(), t.name());
            if (element.equals(qualified) || element.equals(t.schema() + "." + t.name())) {
                String base = t.statement().startsWith("CREATE DOMAIN") ? domainBase(t.statement()) : "text";
                return base + (array ? "[]" : "");
            }
        }
        return builtIn(connection, type) ? type : "text";
    }

    /** {@code CREATE DOMAIN "s"."d" AS numeric(10,2) ...} → {@code numeric(10,2)}; text when unreadable. */
    static String domainBase(String statement) {
        int as = statement.indexOf(" AS ");
        if (as < 0) {
            return "text";
        }
        String rest = statement.substring(as + 4);
        for (String stop : List.of(" DEFAULT ", " NOT NULL", " CHECK ", " CONSTRAINT ")) {
            int i = rest.indexOf(stop);
            if (i >= 0) {
                rest = rest.substring(0, i);
            }
        }
        return rest.strip();
    }

    private static boolean builtIn(Connection connection, String type) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pg_catalog.to_regtype(?)::oid < 16384")) {
            ps.setString(1, type);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1) && !rs.wasNull();
            }
        }
    }

    private static String tempSchema(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT nspname FROM pg_catalog.pg_namespace WHERE oid = pg_catalog.pg_my_temp_schema()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is not worth failing a verified archive for
        }
    }
}
