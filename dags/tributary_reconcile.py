"""Phase 5: reconciliation during the dual run — the live target against each source while `tributary follow` runs.

On ``reconcile.schedule`` (migration.yaml), for every source whose follower is connected to its slot (and not cut
over): each followed table is compared with its target, the rows changed since the last pass (row versions on both
sides) or, every ``reconcile.full_every``-th pass, the whole table (``tributary diff``). A difference counts only
once confirmed after the follower applied past the source position it was read at (transient lag is never
reported). Each pass lands in ``tributary.reconcile_passes`` (``tributary status``, the report) and its mismatch rate
in the Pushgateway (alert ``TributaryReconcileMismatch``). Read-only on both sides. Declarations only; the work is
in dags/tributary/reconcile.py. Runbook: docs/runbooks/reconcile.md.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param, TriggerRule, task

from tributary import config, pools, reconcile, report

CONFIG = config.load()

with DAG(
    dag_id="tributary_reconcile",
    description="Compare the followed tables with the live target; mismatches confirmed past the follower's lag",
    schedule=reconcile.schedule(),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # a pass's horizons are the next pass's start: one at a time
    max_active_tasks=2,  # two sources' passes at once, at most (each also in its source's pool)
    tags=["tributary", "phase-5"],
    default_args={"retries": 0},  # the next scheduled pass is the retry
    params={
        "sources": Param("", type="string", description="Comma-separated source ids (empty: every active follow)."),
        "full": Param(False, type="boolean", description="Compare whole tables (tributary diff) this time."),
        "table_filter": Param("", type="string", description="Glob on source.schema.table (empty: all followed)."),
    },
    doc_md=__doc__,
) as dag:
    sources = task(task_id="select_sources", **pools.all_sources_task())(reconcile.task_select)()  # asks each source
    # A task per source (a pool is fixed per task, not per map index), mapped over [source] or [] in this run.
    passes = [task(task_id=reconcile.task_id(source), **pools.source_task(CONFIG, source, reconcile.PASS_SESSIONS))(
        reconcile.task_reconcile).expand(source=task(task_id=f"select_{source}")(pools.of_source)(sources, source))
        for source in CONFIG.source_ids]
    task(task_id="outcome", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)(reconcile.task_outcome)(passes)
    report.add_to(dag)
