package io.tributary.merge;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The JSON result of {@code tributary resolve}: per merged target table, what was decided. */
public final class ResolveResult {
    private final boolean dryRun;
    private final List<Table> tables = new ArrayList<>();
    private List<String> crossTargetReferences = List.of();

    ResolveResult(boolean dryRun) {
        this.dryRun = dryRun;
    }

    /** One target table fed by several instances. */
    public static final class Table {
        private final String target;
        private final String targetTable;
        private final List<String> sources;
        private final String keyColumn;
        private final Map<String, Long> offsets;
        private final Long stride;
        private final List<List<String>> naturalKeys;
        private final String strategy;
        private final String strategyChosenBy;
        private long duplicates;
        private long settled;
        private long open;
        private long keyMapRows;

        Table(String target, String targetTable, List<String> sources, String keyColumn, Map<String, Long> offsets,
                Long stride, List<List<String>> naturalKeys, String strategy, String strategyChosenBy) {
            this.target = target;
            this.targetTable = targetTable;
            this.sources = sources;
            this.keyColumn = keyColumn;
            this.offsets = offsets;
            this.stride = stride;
            this.naturalKeys = naturalKeys;
            this.strategy = strategy;
            this.strategyChosenBy = strategyChosenBy;
        }

        void duplicates(long duplicates, long settled, long open) {
            this.duplicates = duplicates;
            this.settled = settled;
            this.open = open;
        }

        void keyMapRows(long rows) {
            this.keyMapRows = rows;
        }

        @JsonProperty("target")
        public String target() {
            return target;
        }

        @JsonProperty("target_table")
        public String targetTable() {
            return targetTable;
        }

        @JsonProperty("sources")
        public List<String> sources() {
            return sources;
        }

        @JsonProperty("key_column")
        public String keyColumn() {
            return keyColumn;
        }

        @JsonProperty("offsets")
        public Map<String, Long> offsets() {
            return offsets;
        }

        @JsonProperty("stride")
        public Long stride() {
            return stride;
        }

        @JsonProperty("natural_keys")
        public List<List<String>> naturalKeys() {
            return naturalKeys;
        }

        @JsonProperty("strategy")
        public String strategy() {
            return strategy;
        }

        @JsonProperty("strategy_chosen_by")
        public String strategyChosenBy() {
            return strategyChosenBy;
        }

        /** Natural keys present in two or more instances. */
        @JsonProperty("duplicates")
        public long duplicates() {
            return duplicates;
        }

        /** Losing rows recorded by this run (earlier runs' decisions are kept, not counted again). */
        @JsonProperty("newly_settled")
        public long settled() {
            return settled;
        }

        /** Losing rows parked for a person (strategy manual). */
        @JsonProperty("open")
        public long open() {
            return open;
        }

        @JsonProperty("key_map_rows")
        public long keyMapRows() {
            return keyMapRows;
        }
    }

    void add(Table t) {
        tables.add(t);
    }

    void crossTargetReferences(List<String> refs) {
        this.crossTargetReferences = List.copyOf(refs);
    }

    @JsonProperty("command")
    public String command() {
        return "resolve";
    }

    @JsonProperty("dry_run")
    public boolean dryRun() {
        return dryRun;
    }

    @JsonProperty("tables")
    public List<Table> tables() {
        return tables;
    }

    @JsonProperty("duplicates")
    public long duplicates() {
        return tables.stream().mapToLong(Table::duplicates).sum();
    }

    @JsonProperty("open_conflicts")
    public long openConflicts() {
        return tables.stream().mapToLong(Table::open).sum();
    }

    @JsonProperty("cross_target_references")
    public List<String> crossTargetReferences() {
        return crossTargetReferences;
    }
}
