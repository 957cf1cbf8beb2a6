"""tributary_reconcile: declared as promised and scheduled from migration.yaml (the whole DAG under `airflow dags test`
against a running follower: tests/test_e2e_reconcile.py)."""

from __future__ import annotations

from pathlib import Path

from tributary import config, reconcile

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"


def test_the_dag_is_declared_as_promised_and_scheduled_from_migration_yaml():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    assert bag.import_errors == {}
    dag = bag.dags["tributary_reconcile"]
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    sources = config.load().source_ids  # a task per source (its pool), each mapped over select_<source>
    assert up == {"select_sources": set(), **{f"select_{s}": {"select_sources"} for s in sources},
                  **{f"reconcile_{s}": {f"select_{s}"} for s in sources},
                  "outcome": {f"reconcile_{s}" for s in sources}, "report": {"outcome"}}
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params == {"sources": "", "full": False, "table_filter": ""}
    assert reconcile.Settings.of(config.load()).schedule == "*/15 * * * *"
    assert dag.schedule == "*/15 * * * *"
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert len((DAGS / "tributary_reconcile.py").read_text().splitlines()) < 60  # declarations only
