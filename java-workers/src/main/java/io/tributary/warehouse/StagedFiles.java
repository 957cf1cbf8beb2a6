package io.tributary.warehouse;

import io.tributary.catalog.Identifiers;
import io.tributary.metrics.LiveProgress;
import io.tributary.parquet.ParquetCopyIn;
import io.tributary.result.JobFailure;
import io.tributary.s3.ObjectStore;
import io.tributary.s3.S3Location;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The files a manifest lists, on the staging store: what a dialect's ingest step reads. */
public record StagedFiles(ObjectStore store, Manifest manifest) {

    /**
     * Streams each file into the plan's staging table through the client (S3 → a temporary local file, since
     * Parquet needs random access → COPY FROM STDIN), checking each file's size against the manifest.
     */
    public long copyInto(Connection warehouse, LoadPlan plan) throws SQLException, IOException {
        List<String> quoted = plan.columns().stream().map(StagedColumn::quoted).toList();
        String staging = Identifiers.quote(plan.staging().name());
        long rows = 0;
        Path tmp = Files.createTempFile("tributary-load-", ".parquet");
        LiveProgress.addPlanned(0, manifest.entries().size());
        try {
            for (Manifest.Entry e : manifest.entries()) {
                try (InputStream in = store.get(S3Location.parse(e.url(), "manifest entry"))) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                }
                if (e.contentLength() >= 0 && Files.size(tmp) != e.contentLength()) {
                    throw JobFailure.failed(e.url() + " is " + Files.size(tmp) + " bytes, the manifest says "
                            + e.contentLength(), null);
                }
                long copied = ParquetCopyIn.copy(warehouse, staging, quoted, tmp);
                rows += copied;
                LiveProgress.streamed(copied, Files.size(tmp));
                LiveProgress.chunkDone();
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return rows;
    }
}
