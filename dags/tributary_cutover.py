"""Phase 5: cut the applications over from their sources to the consolidated database, with a measured freeze.

Applications reach each source through PgBouncer. Pre-checks change nothing (follower idle, every followed table
verified in the control schema, follower lag under ``cutover.max_lag_bytes``); then, in one task, PAUSE, drain
``tributary follow`` to the source's current position, verify every followed table on both sides, set sequences,
create the reverse stream (rollback), repoint the PgBouncer entry to the consolidated database, RELOAD, RESUME.
A failure after PAUSE always RESUMEs toward the side with every write. The freeze (PAUSE to RESUME) is in XCom,
``tributary.cutover_switches`` and the log. After RESUME, outside the freeze, the consolidated database's materialized
views over the followed tables are refreshed (no REFRESH is streamed). Declarations only; the work is in dags/tributary/cutover.py.
Runbook: docs/runbooks/cutover.md.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task

from tributary import cutover, pools, report

# Every step reads each source it switches in one call: the shared pool of such tasks (pools.py).
ACROSS_SOURCES = pools.all_sources_task()

with DAG(
    dag_id="tributary_cutover",
    description="PgBouncer PAUSE, drain the follower, verify, sequences, switch to the consolidated database, RESUME",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["tributary", "phase-5"],
    default_args={"retries": 0},  # every step is safe to re-run, but a freeze is retried by a person, not a timer
    params={
        "sources": Param("", type="string", description="Comma-separated source ids (empty: every source with a"
                                                       " released follower). Frozen and switched together."),
        "dry_run": Param(False, type="boolean", description="Pre-checks only: no freeze, no switch."),
    },
    doc_md=__doc__,
) as dag:
    sources = task(task_id="select_sources")(cutover.task_select)(cutover.CUTOVER)
    pre = task(task_id="precheck", **ACROSS_SOURCES)(cutover.task_precheck)(sources, cutover.CUTOVER)
    outcome = task(task_id="freeze_and_switch", **ACROSS_SOURCES)(cutover.task_freeze)(sources, cutover.CUTOVER)
    pre >> outcome
    dropped = task(task_id="drop_forward_slot", **ACROSS_SOURCES)(cutover.drop_slot)(sources, cutover.CUTOVER)
    outcome >> dropped
    # outside the freeze: the serving side's materialized views over the followed tables (no REFRESH is streamed)
    refreshed = task(task_id="refresh_views", **ACROSS_SOURCES)(cutover.refresh_views)(outcome)
    task(task_id="outcome")(cutover.task_finish)(pre, outcome, dropped, refreshed)
    report.add_to(dag)
