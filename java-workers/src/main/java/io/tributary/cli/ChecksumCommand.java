package io.tributary.cli;

import io.tributary.catalog.KeyRange;
import io.tributary.catalog.TableRef;
import io.tributary.verify.ChecksumDialect;
import io.tributary.verify.TableVerification;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code tributary checksum}: row count and checksum of a table (or key range), computed by the database. */
@Command(
        name = "checksum",
        header = "Row count and order-independent checksum of a table or key range, computed in SQL.",
        mixinStandardHelpOptions = true,
        descriptionHeading = "%n",
        optionListHeading = "%nOptions:%n",
        description = {
            "Count the rows of a table (or of a key range) and compute their order-independent 64-bit",
            "checksum in the database itself: sum(hash_record_extended(ROW(<typed or canonical",
            "columns>), 0)) mod 2^64, as 16 hex digits. Chunk checksums add up (mod 2^64) to the table",
            "checksum.",
            "",
            "--hash portable sums the first 15 hex digits of md5(<portable row text>) instead: the form",
            "Redshift can compute too (--dialect redshift), so a PostgreSQL source and a Redshift table",
            "give comparable figures. Compare only checksums of the same hash (the result says which)."
        })
final class ChecksumCommand implements Callable<Integer> {

    @ParentCommand
    TributaryCommand root;

    @Option(names = "--conn", required = true, paramLabel = "ID",
            description = "Connection id; the URI is read from TRIBUTARY_CONN_<ID>.")
    String conn;

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE",
            description = {"The table: schema.table, names as written (case-sensitive);",
                    "a name with dots, quotes, =, @, line breaks or edge spaces in double quotes (\"\" for a quote)."})
    String table;

    @Option(names = "--where-range", paramLabel = "KEY:LO:HI",
            description = "Only rows with LO <= KEY < HI; LO or HI may be empty (open). Values cannot contain ':'.")
    String whereRange;

    @Option(names = "--columns", split = ",", paramLabel = "COL",
            description = "Columns to hash, in this order (the target shape). Default: all, in table order.")
    List<String> columns;

    @Option(names = "--dialect", paramLabel = "DB", defaultValue = "postgres",
            description = "postgres or redshift: whose SQL to run (default: ${DEFAULT-VALUE}).")
    String dialect;

    @Option(names = "--hash", paramLabel = "FORM",
            description = "native (hash_record_extended, PostgreSQL only; the default for postgres) or portable"
                    + " (md5-based; the default and only form for redshift).")
    String hash;

    @Option(names = "--start-file", paramLabel = "PATH",
            description = {"Connect, write PATH.ready (holding this process id), and compute only once PATH exists:",
                    "the figures are those of the data at that moment, with no process start in between."})
    Path startFile;

    @Override
    public Integer call() {
        WorkerContext context = root.context();
        return context.runJob("checksum", (summary, metrics) -> {
            TableRef ref = TableRef.parse(table, "--table");
            ChecksumDialect form = ChecksumDialect.of(dialect, hash);
            KeyRange range = whereRange == null ? null : KeyRange.parse(whereRange);
            metrics.label("conn", conn);
            metrics.label("table", ref.toString());
            TableVerification.Result result =
                    new TableVerification(context.connections("checksum"), summary).checksum(conn, ref, columns, range, form,
                            StartFile.awaiter(startFile, () -> false));
            metrics.rows(result.rows());
            summary.totalRows(result.rows());
            return result;
        });
    }
}
