package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.discover.InventoryJson;
import java.util.List;

/**
 * One cross-instance conflict and its proposed resolution (docs/conflicts-format.md).
 *
 * @param count  how many keys/rows are affected, or null when not counted (catalog only, unused table)
 * @param sample a few affected keys, or empty
 */
public record Conflict(String kind, String table, List<String> instances, ObjectNode detail, Long count,
        ArrayNode sample, ObjectNode resolution, String overridableBy) {

    public static final String TABLE_KIND = "table_kind";
    public static final String PRIMARY_KEY = "primary_key";
    public static final String COLUMN_SET = "column_set";
    public static final String COLUMN_TYPE = "column_type";
    public static final String ENUM_LABELS = "enum_labels";
    public static final String DOMAIN_DEFINITION = "domain_definition";
    public static final String KEY_OVERLAP = "key_overlap";
    public static final String DUPLICATE_KEY = "duplicate_natural_key";
    public static final String DUPLICATE_KEY_CASE = "duplicate_natural_key_case_insensitive";
    public static final String CROSS_INSTANCE_REFERENCE = "cross_instance_reference";

    public ObjectNode toJson() {
        ObjectNode n = InventoryJson.object();
        n.put("kind", kind);
        n.put("table", table);
        n.set("instances", InventoryJson.strings(instances));
        n.set("detail", detail);
        if (count == null) {
            n.putNull("count");
        } else {
            n.put("count", count);
        }
        n.set("sample", sample == null ? InventoryJson.array() : sample);
        n.set("resolution", resolution);
        n.put("overridable_by", overridableBy);
        return n;
    }

    static ObjectNode obj(Object... keyValues) {
        ObjectNode n = InventoryJson.object();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            String k = (String) keyValues[i];
            if (v == null) {
                n.putNull(k);
            } else if (v instanceof JsonNode j) {
                n.set(k, j);
            } else if (v instanceof String s) {
                n.put(k, s);
            } else if (v instanceof Long l) {
                n.put(k, l);
            } else if (v instanceof Integer x) {
                n.put(k, x);
            } else if (v instanceof Boolean b) {
                n.put(k, b);
            } else if (v instanceof List<?> list) {
                ArrayNode a = n.putArray(k);
                list.forEach(e -> a.add(String.valueOf(e)));
            } else {
                n.put(k, String.valueOf(v));
            }
        }
        return n;
    }
}
