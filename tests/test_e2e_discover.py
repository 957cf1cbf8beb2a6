"""End to end: `airflow dags test tributary_discover` against the loaded sample sources.

The plan must put every demo and Pagila table where it belongs and list the conflicts the
generator planted (counts from scripts/sample_data/expected.py, at the loaded scale).
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from pathlib import Path

import pytest
import yaml

import airflow_run
from airflow_run import airflow_env
from conftest import REPO, _unavailable

# make test: the classification, plan and suites of one real discover run; the e2e tier adds the two other runs.
# One xdist worker takes them all: the one discover run is theirs, no other worker waits for it.
pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.xdist_group("discover")]

sys.path.insert(0, str(REPO / "scripts" / "sample_data"))
from expected import expected  # noqa: E402  (the generator's own formulas)


def loaded_scale() -> str:
    """The scale the sample loader recorded in the database comment of src_eu."""
    import psycopg2

    with psycopg2.connect(os.environ["TRIBUTARY_CONN_SRC_EU"]) as c, c.cursor() as cur:
        cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()")
        comment = cur.fetchone()[0] or ""
    # "tributary-sample-data kind=trading-eu scale=1 gen=… " (scripts/sample_data/sql/marker.sql)
    found = re.search(r"\bscale=(\S+)", comment)
    if not comment.startswith("tributary-sample-data") or not found:
        _unavailable("the sample sources are not loaded (run make sources)")
    return found.group(1)


def expected_class(instance: str, schema: str, table: str, stale: dict[str, list[str]]) -> str:
    if f"{schema}.{table}" in stale.get(instance, []):
        return "unknown"
    if schema == "market":
        return "broker"
    return "application"  # the trading applications' public schema, and all of Pagila


@pytest.fixture(scope="module")
def discovered(request):
    """The session's one discover run (conftest.discovered_plan), once the sample sources are known loaded."""
    scale = loaded_scale()
    run = request.getfixturevalue("discovered_plan")
    return run["plan"], expected(scale), run["plan_dir"]


def test_every_demo_and_pagila_table_is_classified_where_it_belongs(discovered):
    plan, exp, _ = discovered
    wrong = [
        (t["instance"], t["schema"], t["table"], t["class"], t["reasons"][:2])
        for t in plan["tables"]
        if t["class"] != expected_class(t["instance"], t["schema"], t["table"], exp["conflicts"]["stale_tables"])
    ]
    assert not wrong, wrong
    assert not [t for t in plan["tables"] if t["flagged_for_review"]]
    instances = {t["instance"] for t in plan["tables"]}
    assert instances == {"src_eu", "src_us", "src_pagila"}
    pagila = {t["table"] for t in plan["tables"] if t["instance"] == "src_pagila"}
    assert {"film", "payment", "rental", "customer", "actor"} <= pagila
    assert all(t["reasons"] for t in plan["tables"])


def test_destinations_follow_the_class(discovered):
    plan, _, _ = discovered
    for t in plan["tables"]:
        dest = t["destination"]
        if t["class"] == "application":
            assert dest == {"kind": "consolidated", "connection": "consolidated", "table": f"{t['schema']}.{t['table']}"}
        elif t["class"] == "broker":
            assert dest["kind"] == "warehouse" and dest["table"] == f"market.{t['table']}"
        else:
            assert dest["location"] == f"s3://tributary-archive/archive/{t['instance']}/{t['schema']}/{t['table']}/"


def test_plan_lists_the_planted_conflicts(discovered):
    plan, exp, _ = discovered
    found = {(c["kind"], c["table"]): c for c in plan["conflicts"]}
    planted = exp["conflicts"]
    assert found[("key_overlap", "public.users")]["count"] == planted["users_id_collisions"]
    assert found[("key_overlap", "public.trades")]["count"] == planted["trades_id_collisions"]
    emails = found[("duplicate_natural_key", "public.users")]
    assert emails["count"] == planted["users_same_email"] and emails["detail"]["columns"] == ["email"]
    assert found[("duplicate_natural_key_case_insensitive", "public.users")]["count"] == planted["users_email_case_variants"]
    assert emails["resolution"]["strategy"] == "last-write-wins"
    assert found[("column_type", "public.positions")]["resolution"]["strategy"] == "type-widening"
    # Each conflict is attached to the plan rows of its table.
    users = [t for t in plan["tables"] if t["table"] == "users" and t["schema"] == "public"]
    assert all(plan["conflicts"][i]["table"] == "public.users" for t in users for i in t["conflicts"])
    assert all(t["conflicts"] for t in users)


def test_plan_report_is_readable(discovered):
    plan, _, plan_dir = discovered
    summary = plan["summary"]
    assert summary["tables"] == len(plan["tables"]) and summary["conflicts"] == len(plan["conflicts"])
    assert set(summary["by_class"]) == {"application", "broker", "unknown"}
    report = (plan_dir / "plan.md").read_text()
    for t in plan["tables"]:
        assert f"| {t['instance']} | {t['schema']}.{t['table']} | {t['class']}" in report
    assert report.count("| key_overlap |") == sum(c["kind"] == "key_overlap" for c in plan["conflicts"])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.e2e
def test_an_unreachable_instance_fails_its_own_scan_only(tmp_path):
    loaded_scale()
    config = yaml.safe_load((REPO / "config" / "migration.yaml").read_text())
    config["sources"].append({"id": "src_gone", "description": "an instance that is down"})
    config_file = tmp_path / "migration.yaml"
    config_file.write_text(yaml.safe_dump(config))
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(config_file),
                      AIRFLOW_CONN_SRC_GONE=f"postgresql://tributary:x@127.0.0.1:{_closed_port()}/gone")
    rc, log = airflow_run.dags_test("tributary_discover", env, tmp_path)
    text = Path(log).read_text()
    assert rc != 0, "the run must fail while an instance is unreachable"
    inventories = sorted(p.name for p in (Path(env["TRIBUTARY_STATE"]) / "discover").rglob("*.inventory.json"))
    assert inventories == ["src_eu.inventory.json", "src_pagila.inventory.json", "src_us.inventory.json"]
    assert "connection src_gone" in text and "exit 4" in text  # the failed task says which and why
    assert not (Path(env["TRIBUTARY_STATE"]) / "plan" / "plan.json").exists()  # no plan from a partial scan


@pytest.mark.e2e
def test_dry_run_writes_the_plan_for_review_but_does_not_publish_it(tmp_path):
    loaded_scale()
    env = airflow_env(tmp_path)
    rc, log = airflow_run.dags_test("tributary_discover", env, tmp_path, "--conf", '{"dry_run": true}')
    assert rc == 0, f"a dry run is not a failure, see {log}"
    state = Path(env["TRIBUTARY_STATE"])
    (written,) = list((state / "discover").glob("*/plan.md"))
    assert written.read_text().startswith("# Tributary migration plan")
    assert not (state / "plan" / "plan.json").exists()  # nothing published: phases 2-5 are not triggered
    assert "dry run: plan written to" in Path(log).read_text()


def test_expectations_task_generates_suites_from_the_profile(discovered):
    """The discover DAG's `expectations` task writes one GX suite per landing table (generated layer)."""
    plan, _, plan_dir = discovered
    generated = plan_dir.parent / "gx-generated"
    names = {p.stem for p in generated.glob("*.json")}
    landing = {f"{t['destination']['kind']}.{t['destination']['table']}" for t in plan["tables"]
               if t["destination"]["kind"] in ("consolidated", "warehouse") and not t["skip"]}
    assert names == landing
    users = json.loads((generated / "consolidated.public.users.json").read_text())
    kinds = {(e["type"], e["kwargs"].get("column")) for e in users["expectations"]}
    assert ("expect_column_values_to_not_be_null", "id") in kinds
    assert ("expect_column_values_to_be_unique", "id") in kinds
    assert "Edit expectations/overlays/" in users["meta"]["notes"]
    broker = [json.loads(p.read_text()) for p in generated.glob("warehouse.*.json")]
    assert broker and all(s["meta"]["class"] == "broker" for s in broker)
