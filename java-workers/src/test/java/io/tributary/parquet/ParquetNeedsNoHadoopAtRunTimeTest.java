package io.tributary.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hadoop is on the test class path (it is `provided`, needed to compile against ParquetWriter.Builder) but
 * not in the shipped jar. This writes and reads a ZSTD file in a class loader without any Hadoop jar, as
 * the worker runs in production.
 */
class ParquetNeedsNoHadoopAtRunTimeTest {
    @TempDir
    Path dir;

    @Test
    void zstdWriteAndReadWorkWithoutHadoopClasses() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("hadoop-client")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader isolated = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("org.apache.hadoop.conf.Configuration", false, isolated));
            Class<?> probe = Class.forName(Probe.class.getName(), true, isolated);
            Object instance = probe.getConstructor(Path.class).newInstance(dir.resolve("probe.parquet"));
            assertEquals(3L, ((Callable<?>) instance).call());
        }
        assertTrue(Files.size(dir.resolve("probe.parquet")) > 0);
    }

    /** Runs inside the isolated class loader. */
    public static final class Probe implements Callable<Long> {
        private final Path file;

        public Probe(Path file) {
            this.file = file;
        }

        @Override
        public Long call() throws Exception {
            PrimitiveType text = Types.optional(PrimitiveType.PrimitiveTypeName.BINARY)
                    .as(LogicalTypeAnnotation.stringType()).named("t");
            ParquetColumn column = new ParquetColumn("t", "text", ParquetColumn.Kind.TEXT, 0, 0, "t", text, "VARCHAR",
                    "text", 0);
            try (ParquetFile out = new ParquetFile(Files.newOutputStream(file), "probe", List.of(column),
                    CompressionCodecName.ZSTD, Map.of())) {
                for (String s : new String[] {"a", "b", "c"}) {
                    out.write(new Object[] {org.apache.parquet.io.api.Binary.fromString(s)});
                }
            }
            long rows = 0;
            try (ParquetRowReader in = new ParquetRowReader(file)) {
                while (in.next() != null) {
                    rows++;
                }
            }
            return rows;
        }
    }
}
