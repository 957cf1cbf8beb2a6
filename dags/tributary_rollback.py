"""Phase 5: roll a cut-over source back: the applications return to it, with every write made since the cutover.

From the cutover on, the writes made on the consolidated database flow back to the source (a follow with the roles
reversed, created at the switch). Pre-checks change nothing (the source is cut over, the reverse follower idle and
under ``cutover.max_lag_bytes``); then, in one task, PAUSE, drain the reverse stream, verify every followed table
on both sides, set the source's sequences past the consolidated ones, repoint the PgBouncer entry to the source,
RELOAD, RESUME, measured like the cutover. The reverse slot is dropped afterwards, and the source's materialized
views over the followed tables are refreshed.
Declarations only; the work is in dags/tributary/cutover.py. Runbook: docs/runbooks/rollback.md.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from tributary import cutover, pools, report

# Every step reads each source it switches in one call: the shared pool of such tasks (pools.py).
ACROSS_SOURCES = pools.all_sources_task()

with DAG(
    dag_id="tributary_rollback",
    description="PgBouncer PAUSE, drain the reverse stream, verify, sequences, switch back to the source, RESUME",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["tributary", "phase-5"],
    default_args={"retries": 0},
    params={
        "sources": Param("", type="string", description="Comma-separated source ids (empty: every source cut over)."),
        "dry_run": Param(False, type="boolean", description="Pre-checks only: no freeze, no switch."),
    },
    doc_md=__doc__,
) as dag:
    sources = task(task_id="select_sources")(cutover.task_select)(cutover.ROLLBACK)
    pre = task(task_id="precheck", **ACROSS_SOURCES)(cutover.task_precheck)(sources, cutover.ROLLBACK)
    outcome = task(task_id="freeze_and_switch", **ACROSS_SOURCES)(cutover.task_freeze)(sources, cutover.ROLLBACK)
    pre >> outcome
    dropped = task(task_id="drop_reverse_slot", **ACROSS_SOURCES)(cutover.drop_slot)(sources, cutover.ROLLBACK)
    outcome >> dropped
    # outside the freeze: the serving side's materialized views over the followed tables (no REFRESH is streamed)
    refreshed = task(task_id="refresh_views", **ACROSS_SOURCES)(cutover.refresh_views)(outcome)
    task(task_id="outcome")(cutover.task_finish)(pre, outcome, dropped, refreshed)
    report.add_to(dag)
