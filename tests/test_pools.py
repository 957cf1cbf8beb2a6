"""Airflow pools per source (dags/tributary/pools.py): every task that opens sessions on a source runs in that
source's pool with as many slots as sessions, whatever the DAG; slots come from sources[].max_sessions.
The real DAGs are parsed with a migration.yaml of three sources with odd ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tributary import config, pools

DAGS = Path(__file__).resolve().parents[1] / "dags"
LONG_ID = "z" + "9_" * 31  # 63 characters, the schema's longest id
ODD_CONFIG = f"""
version: 1
control: {{connection: ctl}}
sources:
  - {{id: a, max_sessions: 3}}
  - {{id: eu_2__legacy_x9, max_sessions: 7}}
  - {{id: {LONG_ID}}}
targets:
  consolidated: {{connection: ctl}}
defaults: {{parallelism: 8}}
tables:
  - {{match: "eu_2__legacy_x9.*.*", parallelism: 3}}
"""


@pytest.fixture(scope="module")
def odd_config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pools") / "migration.yaml"
    path.write_text(ODD_CONFIG)
    return path


@pytest.fixture(scope="module")
def dagbag(odd_config):
    from airflow.dag_processing.dagbag import DagBag

    before = os.environ.get("TRIBUTARY_CONFIG")
    os.environ["TRIBUTARY_CONFIG"] = str(odd_config)
    try:
        bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    finally:
        if before is None:
            os.environ.pop("TRIBUTARY_CONFIG")
        else:
            os.environ["TRIBUTARY_CONFIG"] = before
    assert bag.import_errors == {}
    return bag


def test_pool_names_follow_one_rule_and_never_collide():
    assert pools.pool_name("src_us") == "tributary_src_us"
    assert pools.pool_name(LONG_ID) == "tributary_" + LONG_ID
    odd = ["a", "a_b", "a-b", "a.b", "a b", "A_b", "a-2d-b", "ü"]  # outside the schema's ids too: still distinct
    names = [pools.pool_name(i) for i in odd]
    assert len(set(names)) == len(odd)
    assert all(set(n) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-") for n in names)
    assert pools.ALL_SOURCES not in {pools.pool_name(i) for i in ("all_sources", "all-sources", "-all-sources")}


def test_slots_come_from_max_sessions_one_kept_for_the_shared_pool(odd_config):
    cfg = config.load(odd_config)
    assert pools.pools(cfg) == {
        pools.ALL_SOURCES: {"slots": 1, "description": pools.pools(cfg)[pools.ALL_SOURCES]["description"],
                                  "include_deferred": False},
        "tributary_a": {"slots": 2, "description": pools.pools(cfg)["tributary_a"]["description"],
                        "include_deferred": False},
        "tributary_eu_2__legacy_x9": {"slots": 6, "description": pools.pools(cfg)["tributary_eu_2__legacy_x9"]["description"],
                                      "include_deferred": False},
        f"tributary_{LONG_ID}": {"slots": 3, "description": pools.pools(cfg)[f"tributary_{LONG_ID}"]["description"],
                                 "include_deferred": False},  # the schema's default max_sessions: 4
    }
    assert "max_sessions = 7" in pools.pools(cfg)["tributary_eu_2__legacy_x9"]["description"]
    # a copy takes its chunk workers + the coordinator's snapshot, at most the whole pool
    assert [pools.copy_slots(cfg, s) for s in cfg.source_ids] == [2, 6, 3]
    assert [pools.copy_parallelism_cap(cfg, s) for s in cfg.source_ids] == [1, 5, 2]


def test_every_source_touching_task_runs_in_its_sources_pool(dagbag, odd_config):
    cfg = config.load(odd_config)
    shared = (pools.ALL_SOURCES, 1)
    expected: dict[str, dict[str, tuple[str, int]]] = {
        "tributary_discover": {"conflicts": shared},
        "tributary_consolidate": {"resolve": shared, "schema_pre_data": shared, "schema_post_data": shared},
        "tributary_warehouse": {},
        "tributary_archive": {},
        "tributary_reconcile": {"select_sources": shared},
        "tributary_cutover": {"precheck": shared, "freeze_and_switch": shared, "drop_forward_slot": shared,
                              "refresh_views": shared},
        "tributary_rollback": {"precheck": shared, "freeze_and_switch": shared, "drop_reverse_slot": shared,
                               "refresh_views": shared},
        "tributary_restore": {},  # writes to targets only
        "tributary_decommission": {},  # the control schema only
        "tributary_follow": {},  # one set-up task per source, below
    }
    for s in cfg.source_ids:
        own = pools.pool_name(s)
        expected["tributary_discover"][f"instance_{s}.scan"] = (own, 1)
        expected["tributary_consolidate"][f"copy_{s}.copy"] = (own, pools.copy_slots(cfg, s))
        expected["tributary_warehouse"][f"table_{s}.stage"] = (own, 1)
        expected["tributary_archive"][f"table_{s}.archive"] = (own, 1)
        expected["tributary_reconcile"][f"reconcile_{s}"] = (own, 2)
        # the whole pool: the held snapshot's sessions and a copy's, one table at a time
        expected["tributary_follow"][f"set_up_{s}"] = (own, pools.slots(cfg, s))
    assert set(dagbag.dags) == set(expected)
    for dag_id, dag in dagbag.dags.items():
        pooled = {t.task_id: (t.pool, t.pool_slots) for t in dag.tasks if t.pool != "default_pool"}
        assert pooled == expected[dag_id], dag_id
    # every pool a task names is one the pools command creates, and no task wants more slots than its pool has
    created = pools.pools(cfg)
    for dag in dagbag.dags.values():
        for t in dag.tasks:
            if t.pool != "default_pool":
                assert t.pool_slots <= created[t.pool]["slots"], (dag.dag_id, t.task_id)


def test_a_copy_never_starts_more_chunk_workers_than_its_slots_hold(odd_config):
    from tributary.consolidate import _parallelism_within_pool

    cfg = config.load(odd_config)
    assert _parallelism_within_pool(cfg, "a", None) == 1  # config says 8: lowered to the pool's 2 slots - 1
    assert _parallelism_within_pool(cfg, "eu_2__legacy_x9", 4) == 4  # the run's Param fits: as asked
    assert _parallelism_within_pool(cfg, "eu_2__legacy_x9", 9) == 5
    repo = config.load()  # the committed config: defaults.parallelism 2 fits max_sessions' default: unchanged
    assert all(_parallelism_within_pool(repo, s, None) is None for s in repo.source_ids)


def test_max_sessions_below_three_is_refused(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(ODD_CONFIG.replace("{id: a, max_sessions: 3}", "{id: a, max_sessions: 2}"))
    with pytest.raises(config.ConfigError) as bad:
        config.load(path)
    assert "$.sources[0].max_sessions" in str(bad.value)


def _pools_command(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tributary.pools", *args], input=stdin, capture_output=True,
                          text=True, cwd=DAGS, timeout=120)


def test_the_pools_command_prints_what_airflow_pools_import_reads_and_checks_what_airflow_has(odd_config):
    cfg = config.load(odd_config)
    out = _pools_command("--config", str(odd_config))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == pools.pools(cfg)
    # `airflow pools list -o json` as the CLI prints it: log lines first, slots as strings
    listed = [{"pool": "default_pool", "slots": "128"}] + [
        {"pool": name, "slots": str(p["slots"]), "description": p["description"]} for name, p in pools.pools(cfg).items()]
    text = "2026-12-07T19:08:50Z [info] setup plugin alembic\n" + json.dumps(listed) + "\n"
    assert _pools_command("--config", str(odd_config), "--check", "-", stdin=text).returncode == 0
    missing = [p for p in listed if p["pool"] != "tributary_a"]
    missing[-1] = {**missing[-1], "slots": "1"}
    out = _pools_command("--config", str(odd_config), "--check", "-", stdin=json.dumps(missing))
    assert out.returncode == 2
    assert "pool tributary_a is missing" in out.stderr
    assert f"pool tributary_{LONG_ID} has 1 slots, migration.yaml says 3" in out.stderr
    assert "airflow pools import" in out.stderr  # how to fix it
