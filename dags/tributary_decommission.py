"""Phase 5: mark sources decommissioned once they have been cut over for ``cutover.decommission_hold_days``.

Daily. A source cut over (``tributary.source_lifecycle`` state ``cut-over``) at least the hold ago and never rolled
back becomes ``decommissioned``; rollback is refused from then on. What to do next (drop its reverse slot, archive
what was not migrated, shut the instance down): docs/runbooks/cutover.md#decommission. Declarations only; the work
is in dags/tributary/cutover.py.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from tributary import cutover, report

with DAG(
    dag_id="tributary_decommission",
    description="Mark sources cut over longer than cutover.decommission_hold_days as decommissioned",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["tributary", "phase-5"],
    doc_md=__doc__,
) as dag:
    task(task_id="decommission", retries=0)(cutover.decommission)()
    report.add_to(dag)
