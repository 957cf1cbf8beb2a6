package io.tributary.warehouse;

import io.tributary.catalog.TableRef;
import java.util.List;

/**
 * One load of one staged partition, as the ordered statements a dialect emits. Both dialects follow the same
 * plan: create the target if absent, then in ONE transaction create a staging table, bulk-ingest the staged
 * files into it, delete exactly the partition from the target, insert from staging, checksum what landed
 * (compared before commit: a mismatch rolls everything back), drop staging.
 *
 * @param steps    in execution order; {@link Step.Kind#INGEST} is SQL for Redshift (COPY) and a streaming step
 *                 for PostgreSQL ({@code sql} describes it)
 */
public record LoadPlan(String dialect, TableRef target, TableRef staging, Partition partition,
        List<StagedColumn> columns, List<Step> steps) {

    public record Step(Kind kind, String sql) {
        public enum Kind { CREATE_SCHEMA, CREATE_TARGET, BEGIN, CREATE_STAGING, INGEST, CONVERT_STAGING,
            DELETE_PARTITION, DELETE_KEYS, INSERT, MERGE, CHECKSUM, CHECKSUM_TOUCHED, WATERMARK, DROP_STAGING, COMMIT;

            /**
             * The steps between ingest and the checksums, in plan order: those that change the target, and the
             * conversion of staged values a MERGE needs first (its match condition compares columns).
             */
            public boolean writes() {
                return this == CONVERT_STAGING || this == DELETE_PARTITION || this == DELETE_KEYS || this == INSERT
                        || this == MERGE;
            }
        }
    }

    public boolean has(Step.Kind kind) {
        return steps.stream().anyMatch(s -> s.kind() == kind);
    }

    public Step step(Step.Kind kind) {
        return steps.stream().filter(s -> s.kind() == kind).findFirst().orElseThrow();
    }

    /** Every statement as one SQL script (the golden files; what an operator would review). */
    public String script() {
        StringBuilder out = new StringBuilder();
        for (Step s : steps) {
            out.append("-- ").append(s.kind().name().toLowerCase(java.util.Locale.ROOT)).append('\n')
                    .append(s.sql()).append(";\n");
        }
        return out.toString();
    }
}
