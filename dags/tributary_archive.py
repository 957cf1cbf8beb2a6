"""Phase 4: archive unknown/unused tables to S3 as Parquet, catalog them, read them back to verify.

Declarations only; the work is in dags/tributary/archive.py and the worker's `archive` command.
Parsing reads config/migration.yaml and nothing else; the table list comes from the discovery plan
when the run starts. Without `drop_source` nothing in a source is ever modified.
"""

from __future__ import annotations

from airflow.sdk import DAG, Asset, Param, TriggerRule, task, task_group

from tributary import archive, config, pools, report, worker

CONFIG = config.load()
CONNECTIONS = archive.archive_connections(CONFIG)
SOURCES = CONFIG.source_ids

with DAG(
    dag_id="tributary_archive",
    description="Archive unknown/unused tables to S3 (Parquet ZSTD, SSE, tags), catalog them, verify by reading back",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["tributary", "phase-4"],
    default_args=worker.task_defaults(CONFIG, seconds=30),  # retries, backoff, execution_timeout from the window
    params={
        "table_filter": Param("*", type="string", description="Glob on schema.table or instance.schema.table."),
        "dry_run": Param(False, type="boolean", description="List the tables that would be archived; write nothing."),
        "drop_source": Param(
            False, type="boolean",
            description="After a verified archive, DROP the source table once targets.archive.drop_source_hold_days"
                        " have passed since it was archived (audited). Off: sources are never modified.",
        ),
    },
    doc_md=__doc__,
) as dag:
    selected = task(task_id="select_tables")(archive.select_tables)()

    def source_tables(source):
        # One mapped group per source: a pool is fixed per task, not per map index, so each source's archive
        # runs in that source's pool.
        @task_group(group_id=archive.group(source))
        def table(job):
            argv = task(task_id="plan")(archive.plan)(job)
            archived = worker.worker_task(task_id="archive", argv=argv, connection_ids=CONNECTIONS,
                                          secret_env=archive.key_secret_env(CONFIG),
                                          max_active_tis_per_dagrun=CONFIG.default_parallelism,
                                          **pools.source_task(CONFIG, source))
            return task(task_id="verify", retries=0)(archive.verify)(job, archived)

        return table.expand(job=task(task_id=f"tables_{source}")(pools.of_source)(selected, source))

    verified = [source_tables(source) for source in SOURCES]

    task(
        task_id="outcome",
        trigger_rule=TriggerRule.ALL_DONE,  # report failed tables too
        retries=0,
        outlets=[Asset("tributary://archive")],
    )(archive.finish)(selected) << verified
    report.add_to(dag)  # the HTML migration report: this run's artefact, built however the run ends
