"""Issue 15's acceptance through Airflow: pgcopydb's own unit-test schemas (../shared/datasets/pgcopydb-unit,
schemas nobody here wrote) loaded into a source database, then `airflow dags test tributary_discover` and
`tributary_consolidate` (the plan's tables) with the real worker. The consolidate DAG finds the source is
consolidated whole under its own names and restores its schema from its own pg_dump (`schema --whole`), copies
every table through the per-table copy tasks, and then, trusting nothing the DAG reported:

- sorted `pg_dump --schema-only` of source and target identical (only the target's control schema excluded);
- every table's rows identical by sorted `COPY (SELECT … FROM ONLY t) TO STDOUT` text of both sides;
- pgcopydb's queries in sql/, run on the target as its copydb.sh runs them, give exactly expected/ (sequence
  positions included).

A dry run before it changes nothing. (A re-run's no-op is not repeated here: it is another ~120 tasks; the schema's
re-run is checked by tests/test_schema_fidelity.py, the DAG's by tests/test_e2e_consolidate.py.)
Both databases are on the stack's servers (source on src_pagila's, target on consolidated's), owned by a
superuser made for the test, as pgcopydb's own test runs: the schemas create pg_stat_statements and revoke EXECUTE
on its function, which only a superuser can.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
import yaml

import airflow_run
import pg_fidelity as fid
from airflow_run import airflow_env
from tributary import names

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]


def _config(tmp_path: Path) -> Path:
    raw = {
        "version": 1,
        "project": "fidelity-through-airflow",
        "control": {"connection": "unit_target", "schema": "tributary"},
        "sources": [{"id": "unit", "description": "pgcopydb's unit-test schemas"}],
        "targets": {"consolidated": {"connection": "unit_target"}},
        # Discovery classifies most of pgcopydb's tables as unknown/unused (small tables nobody reads, never
        # analyzed, no keys, names like "Tabl e.1testing") and would send them to the archive. Here they are one
        # application's tables by decision, as a data engineer settles them after reading plan.md: the whole
        # schema is the subject of the test. Only the class is overridden; placement, selection and the
        # --whole decision are the plan's and the DAG's own.
        "classification": {"overrides": {"unit.*.*": "application"}},
    }
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture
def unit_databases():
    """(source URI, target URI): fresh databases owned by a fresh superuser; all dropped after."""
    user, password = fid.make_superuser("tributary_e2e_fidelity")
    made = []
    try:
        for instance in ("src_pagila", "consolidated"):
            db = f"tributary_e2e_fidelity_{secrets.token_hex(4)}"
            fid.admin_sql(instance, f'CREATE DATABASE "{db}" OWNER "{user}"')
            made.append((instance, db))
        yield tuple(fid.uri(user, password, instance, db) for instance, db in made)
    finally:
        for instance, db in made:
            fid.admin_sql(instance, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        fid.drop_role(user)


def _consolidate(env: dict, tmp_path: Path, conf: dict) -> tuple[int, dict | None, str]:
    report = Path(env["TRIBUTARY_STATE"]) / "reports" / "consolidate-outcome.json"
    report.unlink(missing_ok=True)
    rc, log = airflow_run.dags_test("tributary_consolidate", env, tmp_path, "-c", json.dumps(conf), timeout=2400)
    return rc, (json.loads(report.read_text()) if report.exists() else None), log


def test_pgcopydb_unit_schemas_through_discover_and_consolidate(tmp_path, unit_databases):
    source, target = unit_databases
    fid.load_unit_schemas(source)
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(_config(tmp_path)),
                      AIRFLOW_CONN_UNIT=source, AIRFLOW_CONN_UNIT_TARGET=target)

    rc, log = airflow_run.dags_test("tributary_discover", env, tmp_path, timeout=900)
    assert rc == 0, f"discover failed, see {log}"
    plan = json.loads((Path(env["TRIBUTARY_STATE"]) / "plan" / "plan.json").read_text())
    planned = [t for t in plan["tables"] if t["instance"] == "unit"]
    assert {(t["schema"], t["table"]) for t in planned} == set(fid.tables(source)), "discovery lists every table"
    assert all(t["destination"]["kind"] == "consolidated" and not t["flagged_for_review"] for t in planned), planned
    assert all(t["destination"]["table"] == names.qualified(t["schema"], t["table"]) for t in planned)

    # A dry run: the schema phases print their DDL, nothing is copied, nothing is created.
    rc, report, log = _consolidate(env, tmp_path, {"tables_from": "plan", "dry_run": True})
    assert rc == 0, f"dry run failed, see {log}"
    assert fid.tables(target) == [], "a dry run creates nothing"
    text = Path(log).read_text()
    assert "consolidated whole under their own names (schema restored from their pg_dump): unit" in text

    rc, report, log = _consolidate(env, tmp_path, {"tables_from": "plan"})
    assert rc == 0, f"consolidate failed, see {log}"
    assert report["all_verified"] is True
    assert {r["table"] for r in report["tables"]} == {t["destination"]["table"] for t in planned
                                                      if t["kind"] in ("table", "partitioned")}

    fid.assert_same_schema(source, target)
    fid.assert_same_rows(source, target)
    fid.assert_pgcopydb_queries_give_expected(target)

