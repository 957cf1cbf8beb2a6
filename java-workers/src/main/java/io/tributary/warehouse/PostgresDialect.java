package io.tributary.warehouse;

import io.tributary.catalog.Identifiers;
import io.tributary.verify.ChecksumDialect;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The local stand-in: the same plan on PostgreSQL. Its INGEST step is not SQL: the loader streams each staged
 * Parquet file from S3 into the staging table with {@code COPY ... FROM STDIN} (what Redshift's COPY does
 * server-side). Distribution and encodings have no PostgreSQL meaning; the sort key becomes an index.
 */
public final class PostgresDialect implements WarehouseDialect {

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public LoadPlan plan(Target target, List<StagedColumn> columns) {
        List<LoadPlan.Step> steps = new ArrayList<>();
        String t = target.table().quoted();
        String s = Identifiers.quote(target.staging().name());
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_SCHEMA,
                "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(target.table().schema())));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_TARGET, "CREATE TABLE IF NOT EXISTS " + t + " ("
                + columns.stream().map(c -> c.quoted() + " " + c.postgresType()).collect(Collectors.joining(", "))
                + ")"));
        if (!target.sortKey().isEmpty()) {
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_TARGET, "CREATE INDEX IF NOT EXISTS "
                    + Identifiers.quote(target.table().name() + "_sortkey") + " ON " + t + " ("
                    + target.sortKey().stream().map(Identifiers::quote).collect(Collectors.joining(", ")) + ")"));
        }
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.BEGIN, "BEGIN"));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CREATE_STAGING, "CREATE TEMPORARY TABLE " + s + " ("
                + columns.stream().map(c -> c.quoted() + " " + (c.json() ? "text" : c.postgresType()))
                        .collect(Collectors.joining(", ")) + ") ON COMMIT DROP"));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INGEST, "COPY " + s + " ("
                + columns.stream().map(StagedColumn::quoted).collect(Collectors.joining(", "))
                + ") FROM STDIN -- each file of " + target.manifestUrl()));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DELETE_PARTITION, "DELETE FROM " + t
                + target.partition().where()));
        String names = columns.stream().map(StagedColumn::quoted).collect(Collectors.joining(", "));
        String values = columns.stream()
                .map(c -> c.json() ? c.quoted() + "::" + c.postgresType() : c.quoted())
                .collect(Collectors.joining(", "));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.INSERT, "INSERT INTO " + t + " (" + names + ") SELECT "
                + values + " FROM " + s));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.CHECKSUM, ChecksumDialect.POSTGRES_PORTABLE.checksumSql(
                "SELECT " + names + " FROM " + t + target.partition().where(),
                columns.stream().map(StagedColumn::postgresShape).toList())));
        if (target.watermarkColumn() != null) {
            steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.WATERMARK, "SELECT max("
                    + Identifiers.quote(target.watermarkColumn()) + ")::text FROM " + t));
        }
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.DROP_STAGING, "DROP TABLE " + s));
        steps.add(new LoadPlan.Step(LoadPlan.Step.Kind.COMMIT, "COMMIT"));
        return new LoadPlan(name(), target.table(), target.staging(), target.partition(), columns, steps);
    }
}
