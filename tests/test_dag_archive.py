"""tributary_archive and tributary_restore: import cleanly, promised shape and Params; the table selection."""

from __future__ import annotations

from pathlib import Path

import pytest

from tributary import archive, config

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS), include_examples=False)


def _params(dag):
    return dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)


def test_archive_dag_is_mapped_per_table_with_its_params(dagbag):
    assert dagbag.import_errors == {}
    dag = dagbag.dags["tributary_archive"]
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    sources = config.load().source_ids  # one mapped group per source (its pool)
    assert set(up) == {"select_tables", "outcome", "report", *(f"tables_{s}" for s in sources),
                       *(f"table_{s}.{t}" for s in sources for t in ("plan", "archive", "verify"))}
    for s in sources:
        assert up[f"tables_{s}"] == {"select_tables"} and f"tables_{s}" in up[f"table_{s}.plan"]
        assert f"table_{s}.plan" in up[f"table_{s}.archive"] and f"table_{s}.archive" in up[f"table_{s}.verify"]
        assert f"table_{s}.verify" in up["outcome"]
    assert "outcome" in up["report"]
    params = _params(dag)
    assert params == {"table_filter": "*", "dry_run": False, "drop_source": False}
    assert dag.schedule is None and dag.max_active_runs == 1
    outcome = dag.get_task("outcome")
    assert [a.uri.rstrip("/") for a in outcome.outlets] == ["tributary://archive"]
    assert outcome.trigger_rule == "all_done"
    assert all(dag.get_task(f"table_{s}.verify").retries == 0 for s in config.load().source_ids)


def test_restore_dag_is_manual_with_entry_target_and_table(dagbag):
    dag = dagbag.dags["tributary_restore"]
    assert dag.schedule is None
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    assert set(up) == {"restore_args", "thaw", "load", "outcome"}
    assert "thaw" in up["load"] and "load" in up["outcome"]
    # S3 restores from GLACIER take hours: a sensor that frees its slot between pokes, for hours (not retries=96)
    thaw = dag.get_task("thaw")
    assert thaw.mode == "reschedule" and thaw.retries == 0
    assert thaw.timeout >= 24 * thaw.poke_interval and thaw.timeout >= 6 * 3600
    params = _params(dag)
    assert set(params) == {"catalog_entry", "target_connection", "target_table"}
    assert params["target_connection"] == "consolidated"


PLAN = {"tables": [
    {"instance": "src_eu", "schema": "public", "table": "legacy_promo_codes", "kind": "table", "class": "unknown",
     "reasons": ["never read"], "destination": {"kind": "archive"}, "skip": False},
    {"instance": "src_eu", "schema": "public", "table": "users", "kind": "table", "class": "application",
     "reasons": ["app"], "destination": {"kind": "consolidated"}, "skip": False},
    {"instance": "src_us", "schema": "public", "table": "backup_users_20200101", "kind": "table", "class": "unknown",
     "reasons": ["backup"], "destination": {"kind": "archive"}, "skip": True},
    {"instance": "src_us", "schema": "public", "table": "tmp_export", "kind": "table", "class": "unknown",
     "reasons": ["tmp"], "destination": {"kind": "archive"}, "skip": False},
    {"instance": "src_pagila", "schema": "public", "table": "old_view", "kind": "view", "class": "unknown",
     "reasons": [], "destination": {"kind": "archive"}, "skip": False},
]}


def test_candidates_are_the_plans_archive_tables_plus_config_minus_exclusions():
    cfg = config.load(REPO / "config" / "migration.yaml")
    raw = dict(cfg.raw)
    raw["archive"] = {"tables": ["src_eu.public.users", "src_pagila.public.rental_2005"],
                      "exclude": ["src_us.public.tmp_*"]}
    jobs = archive.candidates(config.MigrationConfig(path=cfg.path, raw=raw), PLAN)
    names = [f"{j['source']}.{j['table']}" for j in jobs]
    # skipped and excluded tables and views are never archived; config-named ones are, with the reason why
    assert names == ["src_eu.public.legacy_promo_codes", "src_eu.public.users", "src_pagila.public.rental_2005"]
    assert jobs[1]["reasons"][0].startswith("named in migration.yaml archive.tables")
    assert jobs[0]["reasons"] == ["never read"]


def test_archive_argv_carries_class_reasons_and_drop_flag_but_no_secret():
    argv = archive.archive_argv({"source": "src_eu", "table": "public.t", "class": "unknown",
                                 "reasons": ["never read", "name says tmp"]}, "manual__1", drop_source=True)
    assert argv[:1] == ["archive"] and "--drop-source" in argv
    assert argv[argv.index("--run-id") + 1] == "manual__1"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--reason"] == ["never read", "name says tmp"]
    assert not any("://" in a for a in argv)


def test_worker_tasks_are_named_by_table_and_stopped_before_trading_resumes(dagbag):
    from tributary import config, timetable, worker

    window = timetable.shortest_window(config.load().warehouse_schedule)
    assert window.total_seconds() == 14.5 * 3600  # 17:30 -> 08:00 in the committed migration.yaml
    for dag_id in ("tributary_consolidate", "tributary_warehouse", "tributary_archive", "tributary_discover"):
        dag = dagbag.dags[dag_id]
        for t in dag.tasks:
            assert t.execution_timeout == window, (dag_id, t.task_id)
    copy = dagbag.dags["tributary_consolidate"].get_task("copy_src_eu.copy")
    assert copy.map_index_template == worker.MAP_INDEX_TEMPLATE
    assert worker.map_label(["copy", "--source", "src_eu", "--table", "public.users"]) == "src_eu.public.users"
    assert worker.map_label(["stage", "--source", "src_eu", "--table", "md.ticks", "--partition", "2026-01-02"]) \
        == "src_eu.md.ticks 2026-01-02"
    assert worker.map_label(["checksum", "--conn", "consolidated", "--table", '"Odd"."Name"']) \
        == 'consolidated."Odd"."Name"'


def test_the_window_timeout_follows_migration_yaml():
    from datetime import timedelta

    from tributary import timetable

    assert timetable.shortest_window({"window": {"after_close": "16:00", "before_open": "09:30"}}) == timedelta(hours=17, minutes=30)
    assert timetable.shortest_window({"window": {"after_close": "01:00", "before_open": "05:00"}}) == timedelta(hours=4)
    assert timetable.shortest_window(None) == timedelta(hours=14, minutes=30)  # the defaults: 17:30 -> 08:00
