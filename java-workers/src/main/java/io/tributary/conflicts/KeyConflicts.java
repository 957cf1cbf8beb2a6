package io.tributary.conflicts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.catalog.ColumnShape;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.connect.ConnectionFactory;
import io.tributary.discover.InventoryJson;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * (b) surrogate keys that collide and (c) natural keys present in several instances. Both are counted by
 * merge-joining sorted streams (the key itself via its index, or a 64-bit hash of the key's canonical text)
 * with constant memory; only a small sample of actual values is fetched. A table with no scans since the
 * statistics reset is not read (reading it would make it look used) unless asked to.
 */
final class KeyConflicts {
    private static final Logger LOG = Logger.getLogger(KeyConflicts.class.getName());
    private static final String MARKER = "/* tributary:conflicts */ ";
    private static final List<String> INTEGER_TYPES = List.of("smallint", "integer", "bigint");
    private static final long INT4_MAX = Integer.MAX_VALUE;

    private final ConnectionFactory connections;
    private final ConflictDetector.Options options;
    private final ConflictStrategies strategies;

    KeyConflicts(ConnectionFactory connections, ConflictDetector.Options options, ConflictStrategies strategies) {
        this.connections = connections;
        this.options = options;
        this.strategies = strategies;
    }

    // ---------------------------------------------------------------- (b) surrogate keys

    List<Conflict> overlaps(Map<String, Map<String, JsonNode>> tables) throws SQLException {
        List<Conflict> out = new ArrayList<>();
        for (var entry : tables.entrySet()) {
            Map<String, JsonNode> byInstance = entry.getValue();
            if (byInstance.size() < 2) {
                continue;
            }
            String column = surrogateKey(byInstance);
            if (column == null) {
                continue;
            }
            ObjectNode ranges = InventoryJson.object();
            List<long[]> known = new ArrayList<>();
            boolean unknown = false;
            long max = 0;
            for (var e : byInstance.entrySet()) {
                JsonNode kr = e.getValue().path("profile").path("key_range");
                ranges.set(e.getKey(), Conflict.obj("min", kr.path("min"), "max", kr.path("max"),
                        "source", kr.path("source").asText("none")));
                if (kr.path("min").isNumber() && kr.path("max").isNumber()) {
                    known.add(new long[] {kr.path("min").asLong(), kr.path("max").asLong()});
                    max = Math.max(max, kr.path("max").asLong());
                } else {
                    unknown = true;
                }
            }
            if (!unknown && !anyOverlap(known)) {
                continue;
            }
            List<String> instances = List.copyOf(byInstance.keySet());
            ObjectNode detail = Conflict.obj("column", column, "ranges", ranges);
            Long count = null;
            ArrayNode sample = InventoryJson.array();
            String notRead = whyNotRead(byInstance);
            if (notRead == null) {
                List<String> sql = new ArrayList<>();
                for (var e : byInstance.entrySet()) {
                    sql.add(MARKER + "SELECT " + Identifiers.quote(column) + "::int8 FROM " + quoted(e.getValue())
                            + " ORDER BY 1");
                }
                long[] n = {0};
                merge(instances, sql, false, shared -> {
                    if (n[0]++ < options.sampleSize()) {
                        sample.add(shared.key());
                    }
                });
                count = n[0];
                if (count == 0) {
                    continue; // the ranges interleave without a single equal key
                }
            } else {
                detail.put("not_counted", notRead);
            }
            out.add(new Conflict(Conflict.KEY_OVERLAP, entry.getKey(), instances, detail, count, sample,
                    remapping(entry.getKey(), column, byInstance, max), ConflictStrategies.overridePath(entry.getKey(),
                            "key_remapping")));
        }
        return out;
    }

    /** The single integer primary key column every instance shares, or null. */
    private static String surrogateKey(Map<String, JsonNode> byInstance) {
        String column = null;
        for (JsonNode t : byInstance.values()) {
            JsonNode pk = t.path("primary_key");
            if (pk.size() != 1) {
                return null;
            }
            String name = pk.get(0).asText();
            if (column != null && !column.equals(name) || !INTEGER_TYPES.contains(type(t, name))) {
                return null;
            }
            column = name;
        }
        return column;
    }

    private static boolean anyOverlap(List<long[]> ranges) {
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                if (ranges.get(i)[0] <= ranges.get(j)[1] && ranges.get(j)[0] <= ranges.get(i)[1]) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Offsets by source order: the first source keeps its keys, the n-th adds n × stride, the stride a power of
     * ten at least ten times the largest key (headroom for rows inserted until cutover). Foreign keys that
     * point at the table are rewritten with the same offset.
     */
    private static ObjectNode remapping(String table, String column, Map<String, JsonNode> byInstance, long max) {
        long stride = KeyOffsets.stride(max);
        ObjectNode offsets = InventoryJson.object();
        int n = 0;
        for (String instance : byInstance.keySet()) {
            offsets.put(instance, stride * n++);
        }
        long highest = stride * (n - 1) + stride - 1;
        ObjectNode r = Conflict.obj("strategy", "key-remapping", "method", "offset", "column", column, "stride", stride,
                "offsets", offsets);
        Set<String> refs = new LinkedHashSet<>();
        boolean narrow = false;
        for (JsonNode t : byInstance.values()) {
            for (JsonNode ref : t.path("referenced_by")) {
                refs.add(new TableRef(ref.path("schema").asText(), ref.path("table").asText()) + "("
                        + ShapeConflicts.strings(ref.path("columns")).stream().collect(Collectors.joining(", ")) + ")");
            }
            narrow |= !"bigint".equals(type(t, column));
        }
        r.set("rewrite_foreign_keys", InventoryJson.strings(new ArrayList<>(refs)));
        if (narrow && highest > INT4_MAX / 2) {
            r.put("widen_to", "bigint"); // offsets leave too little room in a 32-bit (or smaller) key
        }
        return r;
    }

    // ---------------------------------------------------------------- (c) natural keys

    List<Conflict> duplicates(Map<String, Map<String, JsonNode>> tables) throws SQLException {
        List<Conflict> out = new ArrayList<>();
        for (var entry : tables.entrySet()) {
            Map<String, JsonNode> byInstance = entry.getValue();
            if (byInstance.size() < 2) {
                continue;
            }
            for (List<String> key : naturalKeys(byInstance)) {
                duplicates(entry.getKey(), byInstance, key, out);
            }
        }
        return out;
    }

    /**
     * Unique keys (and non-surrogate primary keys) that every instance has the columns for, except keys with
     * a foreign-key column: those values are remapped with their parent, so equal values do not mean the same row.
     */
    private static List<List<String>> naturalKeys(Map<String, JsonNode> byInstance) {
        Set<List<String>> keys = new LinkedHashSet<>();
        for (JsonNode t : byInstance.values()) {
            List<String> pk = ShapeConflicts.strings(t.path("primary_key"));
            if (!pk.isEmpty() && !(pk.size() == 1 && INTEGER_TYPES.contains(type(t, pk.get(0))))) {
                keys.add(pk);
            }
            t.path("unique_keys").forEach(u -> keys.add(ShapeConflicts.strings(u)));
        }
        List<List<String>> out = new ArrayList<>();
        for (List<String> key : keys) {
            boolean everywhere = byInstance.values().stream().allMatch(t -> key.stream().allMatch(c -> type(t, c) != null));
            boolean referencing = byInstance.values().stream().anyMatch(t -> fkColumns(t).stream().anyMatch(key::contains));
            if (everywhere && !referencing) {
                out.add(key);
            }
        }
        return out;
    }

    private void duplicates(String table, Map<String, JsonNode> byInstance, List<String> key, List<Conflict> out)
            throws SQLException {
        List<String> instances = List.copyOf(byInstance.keySet());
        List<List<String>> columns = byInstance.values().stream().map(KeyConflicts::names).toList();
        ObjectNode resolution = strategies.resolve(instances, table, columns);
        String overridable = ConflictStrategies.overridePath(table, "conflict_strategy");
        String notRead = whyNotRead(byInstance);
        if (notRead != null) {
            out.add(new Conflict(Conflict.DUPLICATE_KEY, table, instances,
                    Conflict.obj("columns", InventoryJson.strings(key), "comparison", "exact", "not_counted", notRead),
                    null, null, resolution, overridable));
            return;
        }
        // exact
        List<String> sql = new ArrayList<>();
        List<String> keyText = new ArrayList<>();
        for (JsonNode t : byInstance.values()) {
            String text = keyText(t, key);
            keyText.add(text);
            sql.add(MARKER + "SELECT pg_catalog.hashtextextended(" + text + ", 0) FROM " + quoted(t) + " r WHERE "
                    + notNull(key) + " ORDER BY 1");
        }
        long[] n = {0};
        List<Long> sampleHashes = new ArrayList<>();
        merge(instances, sql, false, shared -> {
            if (n[0]++ < options.sampleSize()) {
                sampleHashes.add(shared.key());
            }
        });
        if (n[0] > 0) {
            out.add(new Conflict(Conflict.DUPLICATE_KEY, table, instances,
                    Conflict.obj("columns", InventoryJson.strings(key), "comparison", "exact"), n[0],
                    sample(byInstance, keyText, sampleHashes), resolution, overridable));
        }
        if (key.size() == 1 && looksLikeEmail(key.get(0)) && byInstance.values().stream()
                .allMatch(t -> isText(type(t, key.get(0))))) {
            caseInsensitive(table, byInstance, key.get(0), resolution, overridable, out);
        }
    }

    /** Keys equal only when lower-cased (Anna.Weber@… vs anna.weber@…): the same customer, spelled twice. */
    private void caseInsensitive(String table, Map<String, JsonNode> byInstance, String column, ObjectNode resolution,
            String overridable, List<Conflict> out) throws SQLException {
        List<String> instances = List.copyOf(byInstance.keySet());
        String q = "r." + Identifiers.quote(column) + "::text";
        List<String> sql = new ArrayList<>();
        List<String> lowerText = new ArrayList<>();
        for (JsonNode t : byInstance.values()) {
            lowerText.add("pg_catalog.lower(" + q + ")");
            sql.add(MARKER + "SELECT pg_catalog.hashtextextended(pg_catalog.lower(" + q + "), 0), "
                    + "pg_catalog.hashtextextended(" + q + ", 0) FROM " + quoted(t) + " r WHERE r."
                    + Identifiers.quote(column) + " IS NOT NULL ORDER BY 1, 2");
        }
        long[] n = {0};
        List<Long> sampleHashes = new ArrayList<>();
        merge(instances, sql, true, shared -> {
            if (!shared.secondShared() && n[0]++ < options.sampleSize()) {
                sampleHashes.add(shared.key());
            }
        });
        if (n[0] > 0) {
            List<String> rawText = instances.stream().map(i -> q).toList();
            out.add(new Conflict(Conflict.DUPLICATE_KEY_CASE, table, instances,
                    Conflict.obj("columns", InventoryJson.strings(List.of(column)), "comparison", "lower()",
                            "note", "equal only case-insensitively; not counted among the exact duplicates"),
                    n[0], sample(byInstance, lowerText, rawText, sampleHashes), resolution, overridable));
        }
    }

    private ArrayNode sample(Map<String, JsonNode> byInstance, List<String> keyText, List<Long> hashes) throws SQLException {
        return sample(byInstance, keyText, keyText, hashes);
    }

    /**
     * The actual key values (and each instance's primary key) behind a few colliding hashes: one query per
     * instance; {@code hashed} is what was hashed, {@code shown} what to show.
     */
    private ArrayNode sample(Map<String, JsonNode> byInstance, List<String> hashed, List<String> shown, List<Long> hashes)
            throws SQLException {
        Map<Long, ObjectNode> byHash = new LinkedHashMap<>();
        for (long h : hashes) {
            byHash.put(h, InventoryJson.object());
        }
        if (hashes.isEmpty()) {
            return InventoryJson.array();
        }
        int i = 0;
        for (var e : byInstance.entrySet()) {
            JsonNode t = e.getValue();
            List<String> pk = ShapeConflicts.strings(t.path("primary_key"));
            String pkText = pk.isEmpty() ? "NULL" : keyText(t, pk);
            String sql = MARKER + "SELECT pg_catalog.hashtextextended(" + hashed.get(i) + ", 0), " + shown.get(i)
                    + ", " + pkText + " FROM " + quoted(t) + " r WHERE pg_catalog.hashtextextended(" + hashed.get(i)
                    + ", 0) = ANY (?) ORDER BY 2 LIMIT " + (hashes.size() * 4);
            try (Connection c = connections.open(e.getKey()); PreparedStatement ps = c.prepareStatement(sql)) {
                c.setReadOnly(true);
                ps.setArray(1, c.createArrayOf("int8", hashes.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ObjectNode s = byHash.get(rs.getLong(1));
                        if (s != null) {
                            if (!s.has("key")) {
                                s.put("key", rs.getString(2));
                            }
                            ObjectNode rows = s.has(e.getKey()) ? (ObjectNode) s.get(e.getKey()) : s.putObject(e.getKey());
                            rows.put(rs.getString(2), rs.getString(3));
                        }
                    }
                }
            } catch (SQLException ex) {
                throw io.tributary.connect.DatabaseFault.classify(ex, e.getKey());
            }
            i++;
        }
        ArrayNode out = InventoryJson.array();
        byHash.values().forEach(s -> {
            ObjectNode entry = InventoryJson.object();
            entry.set("key", s.get("key"));
            ObjectNode rows = entry.putObject("primary_keys");
            s.fields().forEachRemaining(f -> {
                if (!f.getKey().equals("key")) {
                    rows.set(f.getKey(), f.getValue());
                }
            });
            out.add(entry);
        });
        return out;
    }

    // ---------------------------------------------------------------- streams

    private void merge(List<String> instances, List<String> sql, boolean pairs, KeyMerge.Sink sink) throws SQLException {
        List<Connection> open = new ArrayList<>();
        List<SortedKeyStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < instances.size(); i++) {
                Connection c = connections.open(instances.get(i));
                open.add(c);
                try {
                    streams.add(new SortedKeyStream(i, c, sql.get(i), pairs));
                } catch (SQLException e) {
                    throw io.tributary.connect.DatabaseFault.classify(e, instances.get(i));
                }
            }
            KeyMerge.run(streams, sink);
        } finally {
            for (SortedKeyStream s : streams) {
                try {
                    s.close();
                } catch (SQLException e) {
                    LOG.fine(() -> "closing a key stream: " + e.getMessage());
                }
            }
            open.forEach(ConnectionFactory::closeQuietly);
        }
    }

    /** Null when the instances may be read; else why not (catalog only, or a table nobody reads). */
    private String whyNotRead(Map<String, JsonNode> byInstance) {
        if (options.catalogOnly() || connections == null) {
            return "--catalog-only: counted from the inventories only";
        }
        if (options.readUnused()) {
            return null;
        }
        List<String> unused = new ArrayList<>();
        byInstance.forEach((instance, t) -> {
            JsonNode u = t.path("usage");
            if (u.isObject() && u.path("seq_scan").asLong(0) + u.path("idx_scan").asLong(0) == 0) {
                unused.add(instance);
            }
        });
        return unused.isEmpty() ? null : "no scans since the statistics reset on " + String.join(", ", unused)
                + "; reading would make the table look used (--read-unused counts anyway)";
    }

    // ---------------------------------------------------------------- inventory helpers

    /** The inventoried table's own rows: ONLY, unless partitioned (the rule of TableShape#ownRowsOnly). */
    private static String quoted(JsonNode t) {
        return ("partitioned".equals(t.path("kind").asText()) ? "" : "ONLY ")
                + Identifiers.qualified(t.path("schema").asText(), t.path("name").asText());
    }

    private static List<String> names(JsonNode t) {
        List<String> out = new ArrayList<>();
        t.path("columns").forEach(c -> out.add(c.path("name").asText()));
        return out;
    }

    static String type(JsonNode t, String column) {
        for (JsonNode c : t.path("columns")) {
            if (c.path("name").asText().equals(column)) {
                return c.path("type").asText();
            }
        }
        return null;
    }

    private static Set<String> fkColumns(JsonNode t) {
        Set<String> out = new HashSet<>();
        t.path("foreign_keys").forEach(fk -> fk.path("columns").forEach(c -> out.add(c.asText())));
        return out;
    }

    /**
     * The canonical text of a key, equal for equal values whatever the instance's declared type or locale
     * (numeric(18,4) 1.5000 = numeric(20,8) 1.50000000; money as a number, not lc_monetary's text): the
     * rendering resolve uses, so discovery and resolve count the same duplicates.
     */
    static String keyText(JsonNode t, List<String> key) {
        return ColumnShape.canonicalText(
                key.stream().map(col -> "r." + Identifiers.quote(col)).toList(),
                key.stream().map(col -> ColumnShape.of(col, type(t, col), ColumnShape.CanonicalForm.ofTypeName(type(t, col)))).toList());
    }

    private static String notNull(List<String> key) {
        return key.stream().map(c -> "r." + Identifiers.quote(c) + " IS NOT NULL").collect(Collectors.joining(" AND "));
    }

    private static boolean looksLikeEmail(String column) {
        String c = column.toLowerCase(java.util.Locale.ROOT);
        return c.contains("email") || c.contains("e_mail") || c.equals("mail");
    }

    private static boolean isText(String type) {
        return type != null && (type.equals("text") || type.startsWith("character varying") || type.equals("citext")
                || type.endsWith(".citext"));
    }
}
