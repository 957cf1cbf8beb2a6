"""Phase 5 set-up: start each chosen source's follow exactly where its copies end.

One task per source owns the whole hold (``airflow dags test`` runs tasks one at a time): ``follow --prepare`` holds
the slot's snapshot, every followed table is copied in it (tables consolidated before are re-copied, their foreign
keys put back after), the snapshot is released, post-data, then a catch-up pass. A failure undoes it all (no held
snapshot, no slot) and names the step. A re-run catches up a source already set up; a cut-over source is left alone.
Declarations only; the work is in dags/tributary/follow.py. Runbook: docs/runbooks/follow.md.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, TriggerRule, task

from tributary import config, follow, report

CONFIG = config.load()

with DAG(
    dag_id="tributary_follow",
    description="follow --prepare, copy every followed table in the slot's snapshot, release, post-data, catch up",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["tributary", "phase-5"],
    default_args={"retries": 0},  # a failed set-up is undone; a person fixes the cause and triggers again
    params={
        "sources": Param("", type="string", description="Comma-separated source ids to set up (required)."),
        "tables": Param("", type="string", description="Comma-separated schema.table to follow (empty: every table"
                                                      " phase 2 consolidated from the source)."),
        "dry_run": Param(False, type="boolean", description="follow --prepare --dry-run only: checks, nothing created."),
        "snapshot_timeout_seconds": Param(300, type="integer", minimum=10,
                                          description="How long --prepare may take to hold its snapshot."),
    },
    doc_md=__doc__,
) as dag:
    sources = task(task_id="select_sources")(follow.task_select)()
    # A task per source (a pool is fixed per task, not per map index), mapped over [source] or [] in this run.
    set_ups = [task(task_id=follow.task_id(source), **follow.pool_args(CONFIG, source))(follow.task_set_up).expand(
        source=task(task_id=f"select_{source}")(follow.of_source)(sources, source)) for source in CONFIG.source_ids]
    task(task_id="outcome", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)(follow.task_outcome)(set_ups)
    report.add_to(dag)
