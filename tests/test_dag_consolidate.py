"""tributary_consolidate: imports cleanly, has the promised shape and params, does no work at parse time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS), include_examples=False)


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "tributary_consolidate" in dagbag.dag_ids


def test_package_folder_is_not_scanned_for_dags(dagbag):
    assert all(not Path(d.fileloc).is_relative_to(DAGS / "tributary") for d in dagbag.dags.values())


def test_task_ids_and_dependencies(dagbag):
    dag = dagbag.dags["tributary_consolidate"]
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    assert set(up) == {"select_tables", "table.plan", "table.copy", "table.checksum_target", "table.verify",
                       "table.gx_gate", "outcome"}
    assert "table.plan" in up["table.copy"]
    assert "table.copy" in up["table.checksum_target"]
    assert {"table.copy", "table.checksum_target"} <= up["table.verify"]
    assert "table.verify" in up["table.gx_gate"]
    assert "table.gx_gate" in up["outcome"]


def test_params_outlet_and_safety_settings(dagbag):
    dag = dagbag.dags["tributary_consolidate"]
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params["dry_run"] is False and params["table_filter"] == "*" and params["parallelism"] == 2
    assert dag.max_active_runs == 1 and dag.schedule is None
    outcome = dag.get_task("outcome")
    assert [a.uri.rstrip("/") for a in outcome.outlets] == ["tributary://consolidated"]
    assert outcome.trigger_rule == "all_done"
    assert dag.get_task("table.verify").retries == 0  # a checksum mismatch is never retried


def test_parsing_touches_no_database_and_starts_no_process():
    """Parse the DAG file with sockets and subprocesses booby-trapped."""
    probe = f"""import sys; sys.path.insert(0, {str(DAGS)!r})
import socket, subprocess, sys
import runpy
dag_file = {str(DAGS / 'tributary_consolidate.py')!r}
runpy.run_path(dag_file)  # warm-up: library imports may probe the platform; then re-parse under traps
def boom(*a, **k): raise SystemExit("work at parse time: " + repr(a)[:200])
socket.socket.connect = boom
subprocess.Popen.__init__ = boom
g = runpy.run_path(dag_file)
print(len(g['dag'].tasks))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "7"
