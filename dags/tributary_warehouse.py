"""Phase 3: load broker tables into the warehouse by trading day, verify each partition, gate with GX.

Schedule: one run per trading day of the configured exchange, started only in its low-trading window
(dags/tributary/timetable.py). Each run stages its data interval from every broker table to Parquet
on S3 and loads it into the warehouse (delete-insert of exactly that partition, so re-runs and
`airflow backfill create` over a date range are idempotent). With the ``load_from`` Param one run loads
every trading day from that date up to its own as a series of daily partitions (an initial load of months
of history: one stage and one load worker call per table, each day verified on its own). Declarations only; the work is in
dags/tributary/warehouse.py and the worker's `stage` and `load` commands.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG, Asset, Param, TriggerRule, task, task_group

from tributary import config, pools, report, warehouse, worker
from tributary.timetable import LowTradingWindowTimetable

CONFIG = config.load()
CONNECTIONS = CONFIG.connections_for_warehouse()
SOURCES = CONFIG.source_ids

with DAG(
    dag_id="tributary_warehouse",
    description="Broker tables to the warehouse by trading day (S3 Parquet + manifest, load, verify, GX gate)",
    schedule=LowTradingWindowTimetable.from_config(CONFIG.warehouse_schedule),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,  # history is loaded with `airflow backfill create` (docs/runbooks/backfill.md)
    max_active_runs=1,  # one writer per warehouse partition
    tags=["tributary", "phase-3"],
    default_args=worker.task_defaults(CONFIG, seconds=30),  # retries, backoff, execution_timeout from the window
    params={
        "dry_run": Param(False, type="boolean", description="Plan only: list tables and the partition, move nothing."),
        "table_filter": Param("*", type="string", description="Glob on schema.table (or source.schema.table)."),
        "full_reload": Param(False, type="boolean",
                             description="Stage and load whole tables, replacing them, instead of this run's trading day."),
        "mode": Param("partition", enum=["partition", "incremental"],
                      description="partition: replace this run's trading day. incremental: tables with a "
                                  "watermark_column and key upsert the rows past their watermark (others: partition)."),
        "load_from": Param("", type="string", pattern=r"^(\d{4}-\d{2}-\d{2})?$",
                           description="Initial load or catch-up (YYYY-MM-DD): every trading day from this date up to "
                                       "this run's, each its own verified partition, in this one run."),
    },
    doc_md=__doc__,
) as dag:
    selected = task(task_id="select_tables", retries=0)(warehouse.select_tables)()
    part = task(task_id="partition", retries=0)(warehouse.partition)()

    def source_tables(source):
        # One mapped group per source: a pool is fixed per task, not per map index, so each source's stage
        # (the only step reading the source) runs in that source's pool. load reads S3 and writes the warehouse.
        @task_group(group_id=warehouse.group(source))
        def table(job, part):
            stage_argv = task(task_id="stage_args", retries=0)(warehouse.stage_argv)(job, part)
            staged = worker.worker_task(task_id="stage", argv=stage_argv, connection_ids=CONNECTIONS,
                                        max_active_tis_per_dagrun=CONFIG.default_parallelism,
                                        **pools.source_task(CONFIG, source))
            load_argv = task(task_id="load_args", retries=0)(warehouse.load_argv)(job, part, staged)
            loaded = worker.worker_task(task_id="load", argv=load_argv, connection_ids=CONNECTIONS,
                                        max_active_tis_per_dagrun=CONFIG.default_parallelism)
            verified = task(task_id="verify", retries=0)(warehouse.verify)(job, part, staged, loaded)
            return task(task_id="gx_gate", retries=0)(warehouse.gx_gate)(job, verified)

        tables = task(task_id=f"tables_{source}", retries=0)(pools.of_source)(selected, source)
        return table.partial(part=part).expand(job=tables)

    # A dry run hands the groups no tables (zero mapped tasks), so nothing is staged or loaded.
    gates = [source_tables(source) for source in SOURCES]

    task(
        task_id="outcome",
        trigger_rule=TriggerRule.ALL_DONE,  # report failed tables too
        retries=0,
        outlets=[Asset("tributary://warehouse")],
    )(warehouse.finish)(selected, part) << gates

    report.add_to(dag)  # the HTML migration report: this run's artefact, built however the run ends
