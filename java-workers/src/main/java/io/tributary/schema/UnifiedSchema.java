package io.tributary.schema;

import io.tributary.catalog.CatalogReader.EnumType;
import io.tributary.catalog.CatalogReader.UserType;
import io.tributary.catalog.Identifiers;
import io.tributary.catalog.TableRef;
import io.tributary.conflicts.TypeWidening;
import io.tributary.result.JobFailure;
import io.tributary.schema.SourceCatalog.Column;
import io.tributary.schema.SourceCatalog.Table;
import io.tributary.schema.SourceCatalog.View;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The target schema unified from the source catalogs, before any DDL: tables of the same target name merged
 * column by column (union, types widened losslessly, NOT NULL only where every source has it), enums' labels
 * merged, each sequence past every source's last value, routines and views once. Every change it makes to a
 * source's shape is listed ({@link SchemaBuilder.Change}).
 */
record UnifiedSchema(Map<TableRef, UnifiedTable> tables, Map<TableRef, TableRef> renames, List<UserType> types,
        List<SourceCatalog.Sequence> sequences, List<SourceCatalog.Routine> routines, List<View> views,
        List<SchemaBuilder.Change> changes) {
    /** A target table: merged columns, the first source's table as the template for everything else. */
    record UnifiedTable(TableRef target, Table template, List<Column> columns, List<String> sources) {
    }

    TableRef targetOf(TableRef source) {
        return renames.getOrDefault(source, source);
    }

    /** Rewrites qualified source table names in a definition to their target names. */
    String rename(String ddl) {
        String out = ddl;
        for (Map.Entry<TableRef, TableRef> e : renames.entrySet()) {
            if (e.getKey().equals(e.getValue())) {
                continue;
            }
            out = out.replaceAll("(?<![\\w.\"])" + Pattern.quote(qualifiedAsPostgresPrints(e.getKey())) + "(?![\\w\"])",
                    Matcher.quoteReplacement(e.getValue().quoted()));
        }
        return out;
    }

    /** How pg_get_*def prints a name: quoted only when it has to be. */
    static String qualifiedAsPostgresPrints(TableRef t) {
        return printIdent(t.schema()) + "." + printIdent(t.name());
    }

    private static String printIdent(String s) {
        return s.matches("[a-z_][a-z0-9_$]*") ? s : Identifiers.quote(s);
    }

    /** The unified schema of the request's sources (their catalogs and types), under the request's target names. */
    static UnifiedSchema of(SchemaBuilder.Request request, List<SourceCatalog> catalogs,
            Map<String, List<UserType>> typesBySource) {
        Map<TableRef, TableRef> renames = new LinkedHashMap<>();
        Map<TableRef, List<Table>> bySource = new LinkedHashMap<>();
        Map<TableRef, List<String>> sourcesOf = new LinkedHashMap<>();
        for (SourceCatalog cat : catalogs) {
            Map<TableRef, TableRef> explicit = request.tables().getOrDefault(cat.source, Map.of());
            for (Table t : cat.tables.values()) {
                TableRef target = explicit.getOrDefault(t.ref(), t.ref());
                if (t.parent() != null && !explicit.containsKey(t.ref())) {
                    TableRef parentTarget = explicit.getOrDefault(t.parent(), t.parent());
                    target = new TableRef(parentTarget.schema(), t.ref().name());
                }
                TableRef previous = renames.putIfAbsent(t.ref(), target);
                if (previous != null && !previous.equals(target)) {
                    throw JobFailure.badInput(t.ref() + " maps to two targets (" + previous + ", " + target + ")");
                }
                bySource.computeIfAbsent(target, k -> new ArrayList<>()).add(t);
                sourcesOf.computeIfAbsent(target, k -> new ArrayList<>()).add(cat.source);
            }
        }
        List<SchemaBuilder.Change> changes = new ArrayList<>();
        Map<TableRef, UnifiedTable> tables = new LinkedHashMap<>();
        for (Map.Entry<TableRef, List<Table>> e : bySource.entrySet()) {
            tables.put(e.getKey(), new UnifiedTable(e.getKey(), e.getValue().get(0),
                    mergeColumns(e.getKey(), e.getValue(), sourcesOf.get(e.getKey()), changes), sourcesOf.get(e.getKey())));
        }
        List<UserType> types = mergeTypes(typesBySource, changes);
        Map<TableRef, SourceCatalog.Sequence> sequences = new LinkedHashMap<>();
        List<SourceCatalog.Routine> routines = new ArrayList<>();
        Set<String> signatures = new LinkedHashSet<>();
        Map<TableRef, View> views = new LinkedHashMap<>();
        for (SourceCatalog cat : catalogs) {
            for (SourceCatalog.Sequence s : cat.sequences) {
                // The sequence must end past every source's last value.
                sequences.merge(s.ref(), s, (a, b) -> (b.lastValue() != null
                        && (a.lastValue() == null || b.lastValue() > a.lastValue())) ? b : a);
            }
            for (SourceCatalog.Routine r : cat.routines) {
                if (signatures.add(r.signature())) {
                    routines.add(r);
                }
            }
            for (View v : cat.views) {
                views.putIfAbsent(v.ref(), v);
            }
        }
        return new UnifiedSchema(tables, renames, types, new ArrayList<>(sequences.values()), routines,
                new ArrayList<>(views.values()), changes);
    }

    /** Union of columns in first-seen order; types widened; NOT NULL kept only when every source has it. */
    private static List<Column> mergeColumns(TableRef target, List<Table> tables, List<String> sources,
            List<SchemaBuilder.Change> changes) {
        Map<String, List<Column>> byName = new LinkedHashMap<>();
        Map<String, List<String>> where = new LinkedHashMap<>();
        for (int i = 0; i < tables.size(); i++) {
            for (Column c : tables.get(i).columns()) {
                byName.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(c);
                where.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(sources.get(i));
            }
        }
        List<Column> out = new ArrayList<>();
        for (Map.Entry<String, List<Column>> e : byName.entrySet()) {
            List<Column> versions = e.getValue();
            Column first = versions.get(0);
            List<String> types = versions.stream().map(Column::type).distinct().toList();
            String type = first.type();
            if (types.size() > 1) {
                type = TypeWidening.widen(types).orElseThrow(() -> JobFailure.badInput("column " + target + "."
                        + e.getKey() + " has types " + String.join(", ", types) + " in " + String.join(", ",
                        where.get(e.getKey())) + " and no lossless common type: resolve it in the plan first"));
                changes.add(new SchemaBuilder.Change(target.toString(), e.getKey(), "type_widened",
                        String.join(" | ", types) + " -> " + type, where.get(e.getKey())));
            }
            boolean inAll = versions.size() == tables.size();
            boolean notNull = inAll && versions.stream().allMatch(Column::notNull);
            if (!inAll) {
                changes.add(new SchemaBuilder.Change(target.toString(), e.getKey(), "column_added",
                        "only in " + String.join(", ", where.get(e.getKey())) + "; nullable in the target",
                        where.get(e.getKey())));
            } else if (!notNull && versions.stream().anyMatch(Column::notNull)) {
                changes.add(new SchemaBuilder.Change(target.toString(), e.getKey(), "not_null_dropped",
                        "NOT NULL in some sources only", where.get(e.getKey())));
            }
            out.add(new Column(first.name(), type, notNull, first.defaultExpr(), first.identity(), first.generated(),
                    first.typeOid()));
        }
        return out;
    }

    /** Enums of the same name are merged (union of labels, order kept); other types: first definition wins. */
    private static List<UserType> mergeTypes(Map<String, List<UserType>> typesBySource, List<SchemaBuilder.Change> changes) {
        Map<String, UserType> merged = new LinkedHashMap<>();
        for (Map.Entry<String, List<UserType>> e : typesBySource.entrySet()) {
            for (UserType t : e.getValue()) {
                String key = t.schema() + "." + t.name();
                UserType prev = merged.get(key);
                if (prev == null) {
                    merged.put(key, t);
                } else if (prev instanceof EnumType a && t instanceof EnumType b && !a.labels().equals(b.labels())) {
                    List<String> labels = TypeWidening.unionLabels(List.of(a.labels(), b.labels()));
                    merged.put(key, new EnumType(a.schema(), a.name(), labels));
                    changes.add(new SchemaBuilder.Change(null, null, "enum_labels_merged", key + ": " + String.join(", ", labels),
                            List.of(e.getKey())));
                }
            }
        }
        return new ArrayList<>(merged.values());
    }
}
