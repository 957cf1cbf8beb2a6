"""tributary_consolidate: imports cleanly, has the promised shape and params, does no work at parse time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tributary import config

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
    sources = config.load().source_ids
    copies = {f"copy_{s}.copy" for s in sources}  # one mapped group per source (its pool)
    assert set(up) == {"select_tables", "targets", "resolve_args", "resolve", *copies,
                       *(f"copy_args_{s}" for s in sources),
                       "target.checksum_target", "target.verify", "target.gx_gate", "outcome",
                       "report", "schema_pre_data_args", "schema_pre_data", "schema_post_data_args", "schema_post_data"}
    assert "select_tables" in up["schema_pre_data_args"] and "schema_pre_data_args" in up["schema_pre_data"]
    assert copies | {"schema_post_data_args"} <= up["schema_post_data"]  # indexes and FKs after the data
    assert "schema_post_data" in up["outcome"]
    assert "select_tables" in up["targets"] and "select_tables" in up["resolve_args"]
    assert "resolve_args" in up["resolve"]
    assert "targets" in up["target.checksum_target"]
    assert copies <= up["target.checksum_target"]  # a target table is verified once all its sources are in
    for s in sources:
        assert "schema_pre_data" in up[f"copy_{s}.copy"]  # tables exist (widened) before anything is copied
        assert "resolve" in up[f"copy_{s}.copy"]  # keys are decided before anything is copied
        # mapped over what copy_args_<source> hands out (nothing on a dry run)
        assert f"copy_args_{s}" in up[f"copy_{s}.copy"] and "select_tables" in up[f"copy_args_{s}"]
    assert "target.checksum_target" in up["target.verify"]
    assert "target.verify" in up["target.gx_gate"]
    assert {"target.gx_gate", "resolve", "select_tables"} <= up["outcome"]
    assert up["report"] == {"outcome"}  # report.add_to: the run's HTML report, last


def test_params_outlet_schedule_and_safety_settings(dagbag):
    dag = dagbag.dags["tributary_consolidate"]
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params["dry_run"] is False and params["table_filter"] == "*" and params["parallelism"] is None
    assert params["tables_from"] == "plan"
    assert params["truncate"] is False  # replacing copied rows is always asked for explicitly
    assert dag.max_active_runs == 1
    assert "tributary://plan" in str(dag.timetable.asset_condition)  # runs when discover publishes a plan
    outcome = dag.get_task("outcome")
    assert [a.uri.rstrip("/") for a in outcome.outlets] == ["tributary://consolidated"]
    assert outcome.trigger_rule == "all_done"
    assert dag.get_task("target.verify").retries == 0  # a checksum mismatch is never retried


def test_checksums_of_sources_add_up_mod_2_64():
    import sys
    sys.path.insert(0, str(DAGS))
    from tributary.consolidate import combine, targets

    rows, total = combine([{"rows": 2, "checksum": "ffffffffffffffff"}, {"rows": 3, "checksum": "0000000000000002"}])
    assert (rows, total) == (5, "0000000000000001")
    jobs = [{"source": "src_eu", "table": "public.users", "target": "c", "target_table": "public.users", "key": ["id"]},
            {"source": "src_pagila", "table": "public.film", "target": "c", "target_table": "public.film", "key": []},
            {"source": "src_us", "table": "public.users", "target": "c", "target_table": "public.users", "key": ["id"]}]
    by = {t["target_table"]: t for t in targets(jobs)}
    # each source table's copy task: (source, map index in copy_<source>)
    assert by["public.users"]["copies"] == [["src_eu", 0], ["src_us", 0]] and len(by["public.users"]["sources"]) == 2
    assert by["public.film"]["copies"] == [["src_pagila", 0]]


def test_copy_truncates_only_when_asked():
    import sys
    sys.path.insert(0, str(DAGS))
    from tributary.consolidate import copy_argv

    job = {"source": "src_eu", "table": "public.users", "target": "consolidated", "target_table": "public.users"}
    assert "--truncate" not in copy_argv(job, "r1", 2)
    assert copy_argv(job, "r1", 2, truncate=True)[-1] == "--truncate"


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
    # incl. the report and the two schema phases (+ args); per source (3): copy_args_<source> and copy_<source>.copy
    assert out.stdout.strip().splitlines()[-1] == "19"


def test_parallelism_is_passed_only_when_the_run_sets_it():
    """Without the Param the worker takes each table's own parallelism from migration.yaml (tables[].parallelism)."""
    import sys
    sys.path.insert(0, str(DAGS))
    from tributary.consolidate import copy_argv

    job = {"source": "src_eu", "table": "public.users", "target": "consolidated", "target_table": "public.users"}
    assert "--parallelism" not in copy_argv(job, "r1", None)
    argv = copy_argv(job, "r1", 3)
    assert argv[argv.index("--parallelism") + 1] == "3"


def _qualified(*parts):
    sys.path.insert(0, str(DAGS))
    from tributary import names

    return names.qualified(*parts)


def _plan_row(instance, schema, table, target_table=None, klass="application", kind="table", **extra):
    return {"instance": instance, "schema": schema, "table": table, "kind": kind, "class": klass,
            "flagged_for_review": False, "skip": False,
            "destination": {"kind": "consolidated", "connection": "consolidated",
                            "table": target_table or _qualified(schema, table)} if klass == "application"
            else {"kind": "archive", "connection": "archive", "location": "s3://b/x/"}, **extra}


def _job(source, table, target_table=None, target="consolidated"):
    return {"source": source, "table": table, "target_table": target_table or table, "key": [], "target": target}


def test_whole_sources_are_those_consolidated_whole_under_their_own_names():
    """--whole only for a source whose every planned table lands, selected, under its own name, merged with
    nothing; merged, renamed, partly selected or partly archived sources keep the table-by-table builder."""
    sys.path.insert(0, str(DAGS))
    from tributary.config import MigrationConfig
    from tributary.consolidate import whole_sources

    cfg = MigrationConfig(Path("m.yaml"), {"sources": [{"id": "eu"}, {"id": "us"}, {"id": "pagila"}, {"id": "odd"},
                                                       {"id": "moved", "target_schema": "elsewhere"}],
                                           "targets": {"consolidated": {"connection": "consolidated"}}})
    plan = {"tables": [
        _plan_row("eu", "public", "users"), _plan_row("us", "public", "users"),  # one application, merged
        _plan_row("pagila", "public", "film"), _plan_row("pagila", "public", "payment", kind="partitioned"),
        _plan_row("pagila", "public", "payment_p2022_01", kind="partition"),
        _plan_row("pagila", "Odd schema", "a.b"),
        _plan_row("odd", "public", "live"), _plan_row("odd", "public", "stale", klass="unknown"),  # partly archived
        _plan_row("moved", "public", "t", "elsewhere.t"),
    ]}
    jobs = [_job("eu", "public.users"), _job("us", "public.users"), _job("pagila", "public.film"),
            _job("pagila", "public.payment"), _job("pagila", _qualified("Odd schema", "a.b")), _job("odd", "public.live"),
            _job("moved", "public.t", "elsewhere.t")]
    assert whole_sources(jobs, plan, cfg) == ["pagila"]
    assert whole_sources(jobs, None, cfg) == []  # tables from migration.yaml: a source's whole list is unknown
    assert whole_sources([j for j in jobs if j["table"] != "public.film"], plan, cfg) == []  # table_filter
    assert whole_sources(jobs + [_job("eu", "public.orders", "public.film")], plan, cfg) == []  # merged into pagila's
    renamed = {"tables": [r if r["table"] != "film" else _plan_row("pagila", "public", "film", "pagila.film")
                          for r in plan["tables"]]}
    assert whole_sources([_job("pagila", "public.film", "pagila.film")] + jobs[3:5], renamed, cfg) == []
