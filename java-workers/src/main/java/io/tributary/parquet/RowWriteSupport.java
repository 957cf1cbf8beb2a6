package io.tributary.parquet;

import java.util.List;
import java.util.Map;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/** Writes rows already converted to Parquet values (see {@link ParquetValues}); null = absent. */
final class RowWriteSupport extends WriteSupport<Object[]> {
    private final MessageType schema;
    private final List<ParquetColumn> columns;
    private final Map<String, String> metadata;
    private RecordConsumer consumer;

    RowWriteSupport(MessageType schema, List<ParquetColumn> columns, Map<String, String> metadata) {
        this.schema = schema;
        this.columns = columns;
        this.metadata = metadata;
    }

    @Override
    public WriteContext init(org.apache.hadoop.conf.Configuration configuration) {
        // Only the ParquetConfiguration overload is called (we never pass a Hadoop Configuration).
        return new WriteContext(schema, metadata);
    }

    @Override
    public WriteContext init(org.apache.parquet.conf.ParquetConfiguration configuration) {
        return new WriteContext(schema, metadata);
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
        this.consumer = recordConsumer;
    }

    @Override
    public void write(Object[] row) {
        consumer.startMessage();
        for (int i = 0; i < row.length; i++) {
            Object v = row[i];
            if (v == null) {
                continue;
            }
            String name = columns.get(i).name();
            consumer.startField(name, i);
            if (v instanceof Integer x) {
                consumer.addInteger(x);
            } else if (v instanceof Long x) {
                consumer.addLong(x);
            } else if (v instanceof Boolean x) {
                consumer.addBoolean(x);
            } else if (v instanceof Float x) {
                consumer.addFloat(x);
            } else if (v instanceof Double x) {
                consumer.addDouble(x);
            } else if (v instanceof Binary x) {
                consumer.addBinary(x);
            } else {
                throw new IllegalStateException("no Parquet value for " + v.getClass() + " in column " + name);
            }
            consumer.endField(name, i);
        }
        consumer.endMessage();
    }
}
