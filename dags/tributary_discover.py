"""Phase 1: scan every source instance, classify every table, find conflicts, write the migration plan.

Declarations only; the work is in dags/tributary/discover.py (and the worker's `discover` and
`conflicts` commands). One unreachable instance fails its own `instance_<source>.scan` task; the others finish.
"""

from __future__ import annotations

from airflow.sdk import DAG, Asset, Param, task, task_group

from tributary import config, discover, pools, report, worker

CONFIG = config.load()
SOURCES = CONFIG.source_ids

with DAG(
    dag_id="tributary_discover",
    description="Scan sources, classify tables (application / broker / unknown), detect conflicts, write the plan",
    schedule=None,
    catchup=False,
    max_active_runs=1,
    tags=["tributary", "phase-1"],
    default_args=worker.task_defaults(CONFIG, seconds=20),  # retries, backoff, execution_timeout from the window
    params={
        "dry_run": Param(False, type="boolean", description="Write the plan for review; do not publish it (phases 2-5 don't start)."),
        "table_filter": Param("*", type="string", description="Glob on schema.table or instance.schema.table: plan only these."),
        "exact_counts": Param(False, type="boolean", description="count(*) every table (a full scan each) instead of statistics."),
        "min_confidence": Param(CONFIG.min_confidence, type="number", minimum=0, maximum=1,
                                description="Below this the classifier's answer becomes unknown + flagged for review."),
    },
    doc_md=__doc__,
) as dag:

    def instance(source_id):
        # A group per source (not one mapped over the sources): each scan runs in its own source's pool.
        @task_group(group_id=discover.group(source_id))
        def scan_group():
            argv = task(task_id="scan_args")(discover.scan_argv)(source_id)
            return worker.worker_task(task_id="scan", argv=argv, connection_ids=SOURCES,
                                      **pools.source_task(CONFIG, source_id))

        return scan_group()

    scans = [instance(source_id) for source_id in SOURCES]
    conflicts = worker.worker_task(
        task_id="conflicts", argv=task(task_id="conflicts_args")(discover.conflicts_argv)(scans), connection_ids=SOURCES,
        **pools.all_sources_task(),  # reads every source's inventory and keys in one call
    )
    decisions = task(task_id="classify", retries=0)(discover.classify)(scans)
    planned = task(task_id="plan", retries=0, outlets=[Asset("tributary://plan")])(discover.make_plan)(
        scans, conflicts, decisions
    )
    # GX suites from the discovery profile (generated layer; overlays in expectations/overlays/ stay).
    task(task_id="expectations", retries=0)(discover.generate_expectations)(scans, planned)

    report.add_to(dag)  # the HTML migration report: this run's artefact, built however the run ends
