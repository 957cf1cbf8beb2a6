package io.tributary.parquet;

import com.github.luben.zstd.Zstd;
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
