package io.tributary.discover;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.TableRef;
import java.util.ArrayList;
import java.util.List;

/** A logical table while it is being scanned: its inventory node plus what profiling needs to know. */
final class ScannedTable {
    final long oid;
    final TableRef ref;
    final boolean partitioned;
    final ObjectNode node;
    /** The table itself (plain) or its leaf partitions (partitioned). */
    final List<Long> leaves = new ArrayList<>();
    final List<Column> columns = new ArrayList<>();
    final List<Index> indexes = new ArrayList<>();
    List<String> primaryKey = List.of();

    record Column(String name, String type, TypeFamily family) {
    }

    /** A valid, non-partial index and its key columns (null for an expression). */
    record Index(String method, List<String> columns) {
        boolean leadsWith(String column) {
            return "btree".equals(method) && !columns.isEmpty() && column.equals(columns.get(0));
        }

        boolean contains(String column) {
            return columns.contains(column);
        }
    }

    /** What profiling treats alike: integer keys and points in time. */
    enum TypeFamily {
        INTEGER, TIME, OTHER;

        static TypeFamily of(long baseTypeOid) {
            if (baseTypeOid == 20 || baseTypeOid == 21 || baseTypeOid == 23) {
                return INTEGER;
            }
            if (baseTypeOid == 1082 || baseTypeOid == 1114 || baseTypeOid == 1184) {
                return TIME;
            }
            return OTHER;
        }
    }

    ScannedTable(long oid, TableRef ref, boolean partitioned, ObjectNode node) {
        this.oid = oid;
        this.ref = ref;
        this.partitioned = partitioned;
        this.node = node;
    }

    Column column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    /** Scans since the last statistics reset, from the usage snapshot (0 when unknown). */
    long scans() {
        return node.path("usage").path("seq_scan").asLong(0) + node.path("usage").path("idx_scan").asLong(0);
    }
}
