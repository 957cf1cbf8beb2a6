"""Phase 2: copy the application tables into the consolidated PostgreSQL, verify each, gate with GX.

Declarations only; the work is in dags/tributary/ (consolidate.py, worker.py, verify.py, gate.py).
Parsing reads config/migration.yaml and nothing else.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Asset, Param, TriggerRule, task, task_group

from tributary import config, consolidate, worker

CONFIG = config.load()
JOBS = [job.as_dict() for job in CONFIG.consolidate_tables()]
CONSOLIDATED = CONFIG.consolidated_connection
CONNECTIONS = CONFIG.connections_for_consolidate()

with DAG(
    dag_id="tributary_consolidate",
    description="Copy application tables into the consolidated PostgreSQL; verify rows + checksums; GX gate",
    schedule=None,
    catchup=False,
    max_active_runs=1,  # one writer per target table; re-runs resume through the worker's ledger
    tags=["tributary", "phase-2"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True},
    params={
        "dry_run": Param(False, type="boolean", description="Plan only: list the tables, copy nothing."),
        "table_filter": Param("*", type="string", description="Glob on schema.table (or source.schema.table)."),
        "parallelism": Param(
            CONFIG.default_parallelism, type="integer", minimum=1, maximum=64,
            description="Chunk workers per table (passed to the worker once it supports chunked copy).",
        ),
    },
    doc_md=__doc__,
) as dag:
    selected = task(task_id="select_tables")(consolidate.select_tables)(JOBS)

    @task_group(group_id=consolidate.GROUP)
    def table(job):
        argv = task.short_circuit(task_id="plan", multiple_outputs=True, ignore_downstream_trigger_rules=False)(
            consolidate.plan
        )(job, CONSOLIDATED)
        copied = worker.worker_task(
            task_id="copy", argv=argv["copy"], connection_ids=CONNECTIONS,
            max_active_tis_per_dagrun=CONFIG.default_parallelism,
        )
        target = worker.worker_task(task_id="checksum_target", argv=argv["checksum"], connection_ids=[CONSOLIDATED])
        verified = task(task_id="verify", retries=0)(consolidate.verify)(job, copied, target)
        gated = task(task_id="gx_gate", retries=0)(consolidate.gx_gate)(job, verified, CONSOLIDATED)
        copied >> target
        return gated

    gates = table.expand(job=selected)

    task(
        task_id="outcome",
        trigger_rule=TriggerRule.ALL_DONE,  # report failed tables too
        retries=0,
        outlets=[Asset("tributary://consolidated")],
    )(consolidate.finish)(selected) << gates
