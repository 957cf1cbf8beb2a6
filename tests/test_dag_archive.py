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
    assert set(up) == {"select_tables", "table.plan", "table.archive", "table.verify", "outcome", "report"}
    assert "table.plan" in up["table.archive"] and "table.archive" in up["table.verify"]
    assert "table.verify" in up["outcome"] and "outcome" in up["report"]
    params = _params(dag)
    assert params == {"table_filter": "*", "dry_run": False, "drop_source": False}
    assert dag.schedule is None and dag.max_active_runs == 1
    outcome = dag.get_task("outcome")
    assert [a.uri.rstrip("/") for a in outcome.outlets] == ["tributary://archive"]
    assert outcome.trigger_rule == "all_done"
    assert dag.get_task("table.verify").retries == 0


def test_restore_dag_is_manual_with_entry_target_and_table(dagbag):
    dag = dagbag.dags["tributary_restore"]
    assert dag.schedule is None
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    assert set(up) == {"restore_args", "thaw", "load", "outcome"}
    assert "thaw" in up["load"] and "load" in up["outcome"]
    assert dag.get_task("thaw").retries >= 24  # S3 restores from GLACIER take hours
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
