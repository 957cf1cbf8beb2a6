package org.apache.parquet;

import io.tributary.parquet.HadoopFreeCodecs;
import java.util.HashMap;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.filter2.compat.FilterCompat;
import org.apache.parquet.format.converter.ParquetMetadataConverter;

/**
 * Read options built without {@link ParquetReadOptions.Builder}, whose constructor loads
 * {@code ParquetInputFormat} (a Hadoop {@code FileInputFormat}) even for a {@code PlainParquetConfiguration}
 * (parquet-java 1.16). This class lives in parquet's package only to reach the package-private constructor;
 * {@code ParquetNeedsNoHadoopAtRunTimeTest} pins that it keeps working when parquet-java is upgraded.
 */
public final class HadoopFreeReadOptions {
    private HadoopFreeReadOptions() {
    }

    public static ParquetReadOptions create() {
        return new ParquetReadOptions(
                false, // useSignedStringMinMax
                true, // useStatsFilter
                true, // useDictionaryFilter
                true, // useRecordFilter
                true, // useColumnIndexFilter
                false, // usePageChecksumVerification
                true, // useBloomFilter
                false, // useOffHeapDecryptBuffer
                false, // useHadoopVectoredIo
                FilterCompat.NOOP,
                ParquetMetadataConverter.NO_FILTER,
                new HadoopFreeCodecs(),
                new HeapByteBufferAllocator(),
                8 * 1024 * 1024, // parquet's default read allocation size
                new HashMap<>(),
                null, // no decryption
                null, // no metrics callback
                new PlainParquetConfiguration());
    }
}
