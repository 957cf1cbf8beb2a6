package io.tributary.parquet;

import com.github.luben.zstd.Zstd;
import io.tributary.result.JobFailure;
import io.tributary.result.TempFolder;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

/**
 * Parquet page compression over zstd-jni and snappy-java directly. parquet-java's own CodecFactory loads
 * Hadoop's codec classes at run time (see ../shared/FIELD-NOTES.md); this one needs no Hadoop at all, for
 * writing and for reading.
 */
public final class HadoopFreeCodecs implements CompressionCodecFactory {
    /** zstd level 3: zstd's default, the usual speed/size balance for warehouse staging. */
    static final int ZSTD_LEVEL = 3;

    /**
     * Loads the codec's native library now: zstd-jni and snappy-java unpack it into {@code java.io.tmpdir} on first
     * use, so a full temp folder fails here, as exit 4, before any file or upload begins, not as an Error mid-file.
     */
    public static void load(CompressionCodecName codec) {
        try {
            switch (codec) {
                case ZSTD -> com.github.luben.zstd.util.Native.load();
                case SNAPPY -> Snappy.getNativeLibraryVersion();
                default -> { }
            }
        } catch (Error e) {
            throw unavailable(codec, e);
        }
    }

    /** A codec's native library that could not load, as the job's failure (a full temp folder: exit 4). */
    static RuntimeException unavailable(Object codec, Error e) {
        if (e instanceof VirtualMachineError vm) {
            throw vm;
        }
        if (TempFolder.isFull(e)) {
            return TempFolder.full(e);
        }
        return JobFailure.failed("the " + codec + " native library cannot be loaded: " + e.getMessage(), e);
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        return new BytesInputCompressor() {
            @Override
            public BytesInput compress(BytesInput bytes) throws IOException {
                return switch (codec) {
                    case UNCOMPRESSED -> bytes;
                    case ZSTD -> BytesInput.from(Zstd.compress(bytes.toByteArray(), ZSTD_LEVEL));
                    case SNAPPY -> BytesInput.from(Snappy.compress(bytes.toByteArray()));
                    default -> throw new IOException("codec " + codec + " is not supported (use zstd or snappy)");
                };
            }

            @Override
            public CompressionCodecName getCodecName() {
                return codec;
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        return new BytesInputDecompressor() {
            @Override
            public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
                return switch (codec) {
                    case UNCOMPRESSED -> bytes;
                    case ZSTD -> BytesInput.from(Zstd.decompress(bytes.toByteArray(), uncompressedSize));
                    case SNAPPY -> {
                        byte[] out = new byte[uncompressedSize];
                        Snappy.uncompress(bytes.toByteArray(), 0, (int) bytes.size(), out, 0);
                        yield BytesInput.from(out);
                    }
                    default -> throw new IOException("codec " + codec + " is not supported (use zstd or snappy)");
                };
            }

            @Override
            public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                    throws IOException {
                byte[] in = new byte[compressedSize];
                input.get(in);
                byte[] out = decompress(BytesInput.from(in), uncompressedSize).toByteArray();
                output.put(out);
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public void release() {
    }
}
