"""End to end: two unrelated applications with overlapping table names are kept apart (issue 15, item 4).

Pagila (src_pagila) and a small invoicing application (tests/fixtures/apps/invoicing.sql, loaded into a
scratch database of the local stack as src_invoicing) both have ``public.customer``, with other columns and
another meaning. `airflow dags test tributary_discover` with the real worker must find two applications, put
them in different consolidated schemas, merge nothing across them and report no conflict between them. The
invoicing application also holds what statistics make awkward (issue 15, item 5): timestamps at ±infinity,
NaN in a numeric column, a table never analyzed: discovery must go through and profile them sensibly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import airflow_run
from airflow_run import airflow_env
from conftest import REPO, _unavailable

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]

INVOICING_SQL = REPO / "tests" / "fixtures" / "apps" / "invoicing.sql"
INVOICING_TABLES = {"customer", "invoice", "employee"}


def _config(tmp_path: Path) -> Path:
    """The repository's config with only the two applications as sources (Pagila first)."""
    raw = yaml.safe_load((REPO / "config" / "migration.yaml").read_text())
    raw["sources"] = [{"id": "src_pagila", "description": "Pagila"},
                      {"id": "src_invoicing", "description": "an unrelated invoicing application"}]
    raw["targets"]["warehouse"].pop("tables", None)
    for section in ("consolidate", "tables"):
        raw.pop(section, None)
    # The placement is under test here, not the classifier: the three live tables are application tables.
    raw.setdefault("classification", {})["overrides"] = {f"src_invoicing.public.{t}": "application"
                                                         for t in sorted(INVOICING_TABLES)}
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def discovered(tmp_path_factory):
    import os

    import psycopg2

    if not os.environ.get("AIRFLOW_CONN_SRC_PAGILA"):
        _unavailable("the stack's Airflow connections are not in the environment (source .stack/env)")
    tmp = tmp_path_factory.mktemp("apps")
    with airflow_run.scratch_databases(os.environ["TRIBUTARY_CONN_CONSOLIDATED"], "tributary_e2e_invoicing") as (uri,):
        with psycopg2.connect(uri) as c, c.cursor() as cur:
            cur.execute(INVOICING_SQL.read_text())
        with psycopg2.connect(os.environ["TRIBUTARY_CONN_SRC_PAGILA"]) as c, c.cursor() as cur:
            cur.execute("SELECT to_regclass('public.film') IS NOT NULL")
            if not cur.fetchone()[0]:
                _unavailable("Pagila is not loaded in src_pagila (run make sources)")
        env = airflow_env(tmp, TRIBUTARY_CONFIG=str(_config(tmp)), AIRFLOW_CONN_SRC_INVOICING=uri,
                          TRIBUTARY_CONN_SRC_INVOICING=uri)
        rc, log = airflow_run.dags_test("tributary_discover", env, tmp)
        assert rc == 0, f"dags test failed, see {log}"
    state = Path(env["TRIBUTARY_STATE"])
    inventories = {p.name.split(".")[0]: json.loads(p.read_text()) for p in (state / "discover").rglob("*.inventory.json")}
    return json.loads((state / "plan" / "plan.json").read_text()), (state / "plan" / "plan.md").read_text(), \
        inventories, state


def _targets(plan: dict, instance: str) -> dict[str, str]:
    return {t["table"]: t["destination"]["table"] for t in plan["tables"]
            if t["instance"] == instance and t["destination"]["kind"] == "consolidated"}


def test_two_applications_go_to_different_schemas_and_nothing_is_merged_across_them(discovered):
    plan, _, _, _ = discovered
    assert [(a["name"], a["instances"]) for a in plan["applications"]] == [
        ("src_pagila", ["src_pagila"]), ("src_invoicing", ["src_invoicing"])]
    pagila, invoicing = _targets(plan, "src_pagila"), _targets(plan, "src_invoicing")
    assert pagila["customer"] == "public.customer" and pagila["film"] == "public.film"
    assert all(target == f"public.{table}" for table, target in pagila.items())  # the first application keeps its names
    assert INVOICING_TABLES <= set(invoicing)
    assert all(target == f"src_invoicing.{table}" for table, target in invoicing.items())
    assert not set(pagila.values()) & set(invoicing.values()), "no target table fed by both applications"
    assert {t["application"] for t in plan["tables"] if t["instance"] == "src_invoicing"} == {"src_invoicing"}


def test_no_conflict_is_reported_between_the_applications(discovered):
    plan, _, _, _ = discovered
    assert [c for c in plan["conflicts"] if {"src_pagila", "src_invoicing"} <= set(c["instances"])] == []
    assert plan["conflicts"] == []  # each application has one instance: nothing to reconcile at all
    (pair,) = plan["similarities"]
    assert set(pair["instances"]) == {"src_pagila", "src_invoicing"} and pair["jaccard"] < 0.5


def test_the_plan_says_why_with_the_figures(discovered):
    plan, report, _, _ = discovered
    invoicing = plan["applications"][1]
    why = "; ".join(invoicing["why"])
    assert "public.customer (src_pagila)" in why and "a schema of its own" in why
    pair = plan["similarities"][0]
    figure = f"Jaccard {pair['jaccard']:.2f} ({pair['shared_columns']} of {pair['union_columns']}"
    assert figure in why
    assert "## Applications" in report and figure in report
    assert "| src_invoicing | src_invoicing | public → src_invoicing |" in report
    for t in plan["tables"]:
        assert f"| {t['instance']} | {t['schema']}.{t['table']} | {t['class']}" in report


def test_infinity_nan_and_never_analyzed_tables_are_profiled_not_fatal(discovered):
    plan, _, inventories, state = discovered
    tables = {t["name"]: t for t in inventories["src_invoicing"]["tables"]}
    contracts = tables["employee"]["profile"]["time_span"]
    assert contracts["column"] == "contract_end" and contracts["infinities"] == ["-infinity", "infinity"]
    assert contracts["min"].startswith("2025-") and contracts["max"].startswith("2025-")  # the finite extremes
    never = tables["invoice_export_2019"]
    assert never["size"]["rows_estimate"] is None and never["profile"]["columns"] == {}
    planned = {t["table"]: t for t in plan["tables"] if t["instance"] == "src_invoicing"}
    assert set(planned) == set(tables) and all(planned[n]["reasons"] for n in planned)
    assert planned["invoice_export_2019"]["rows"] is None
    # The generated GX suite does not bound a column holding '-infinity' from below.
    suite = json.loads((state / "gx-generated" / "consolidated.src_invoicing.employee.json").read_text())
    assert not [e for e in suite["expectations"]
                if e["type"] == "expect_column_values_to_be_between" and e["kwargs"]["column"] == "contract_end"]
    assert ("expect_column_values_to_be_unique", "email") in {(e["type"], e["kwargs"].get("column"))
                                                              for e in suite["expectations"]}
