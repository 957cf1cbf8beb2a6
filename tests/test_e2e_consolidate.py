"""End to end: `airflow dags test tributary_consolidate` with the real worker against the real stack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import airflow_run
from airflow_run import airflow_env, scratch_databases
from conftest import REPO, _unavailable

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]


def dags_test(env, tmp_path, *conf):
    rc, log = airflow_run.dags_test("tributary_consolidate", env, tmp_path, *conf)
    report = Path(env["TRIBUTARY_STATE"]) / "reports" / "consolidate-outcome.json"
    return rc, (json.loads(report.read_text()) if report.exists() else None), log


@pytest.fixture
def scratch_pair(consolidated_uri):
    """Source and target databases on the consolidated instance (the only one where we may CREATEDB)."""
    with scratch_databases(consolidated_uri, *(f"tributary_e2e_{os.getpid()}_{r}" for r in ("src", "dst"))) as uris:
        yield uris


def test_consolidate_copies_verifies_and_gates_then_reruns_as_noop(tmp_path, scratch_pair):
    import psycopg2

    src, dst = scratch_pair
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("CREATE SCHEMA app; CREATE TABLE app.users (id bigint PRIMARY KEY, email text, balance numeric(18,6));"
                    "INSERT INTO app.users SELECT g, 'u'||g||'@example.com', g*1.25 FROM generate_series(1,2000) g;"
                    "CREATE TABLE app.orders (order_id int, user_id bigint, placed timestamptz);"
                    "INSERT INTO app.orders SELECT g, g%50, timestamptz '2026-01-01' + g*interval '1 min' FROM generate_series(1,700) g;")
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: e2e_dst}\nsources: [{id: e2e_src}]\ntargets: {consolidated: {connection: e2e_dst}}\n"
        "consolidate:\n  tables:\n    - {source: e2e_src, table: app.users, key: [id]}\n"
        "    - {source: e2e_src, table: app.orders, key: [order_id]}\n"
    )
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(cfg), AIRFLOW_CONN_E2E_SRC=src, AIRFLOW_CONN_E2E_DST=dst)

    # A dry run maps no copy at all: nothing lands, the ledger records no chunk, the outcome lists both tables.
    rc, report, log = dags_test(env, tmp_path, "-c", '{"dry_run": true}')
    assert rc == 0, f"dry run failed, see {log}"
    assert {r["table"]: r["verified"] for r in report["tables"]} == {"app.users": "dry-run", "app.orders": "dry-run"}
    with psycopg2.connect(dst) as c, c.cursor() as cur:
        cur.execute("SELECT to_regclass('app.users'), to_regclass('app.orders'), to_regclass('tributary.chunks')")
        users, orders, chunks = cur.fetchone()
        for table in (users, orders):
            if table is not None:  # schema pre-data may not create it either on a dry run; if it exists, empty
                cur.execute(f"SELECT count(*) FROM {table}")
                assert cur.fetchone()[0] == 0
        if chunks is not None:
            cur.execute("SELECT count(*) FROM tributary.chunks")
            assert cur.fetchone()[0] == 0
    assert "tributary copy " not in Path(log).read_text()  # the worker's copy never even started

    rc, report, log = dags_test(env, tmp_path)
    assert rc == 0, f"dags test failed, see {log}"
    assert report["all_verified"] is True
    rows = {r["table"]: r for r in report["tables"]}
    assert rows["app.users"]["rows"] == 2000 and rows["app.orders"]["rows"] == 700
    assert rows["app.users"]["source_checksum"] == rows["app.users"]["target_checksum"]
    with psycopg2.connect(dst) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM app.users")
        assert cur.fetchone()[0] == 2000
    password = urlsplit(src).password
    assert password not in Path(log).read_text()  # secrets never reach the task logs

    rc, report, log = dags_test(env, tmp_path)  # a re-run resumes: nothing copied twice
    assert rc == 0 and report["all_verified"] is True, log
    assert {r["status"] for r in report["tables"]} == {"skipped"}
    with psycopg2.connect(dst) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM app.users")
        assert cur.fetchone()[0] == 2000


def _has_table(uri: str, table: str) -> bool:
    import psycopg2

    with psycopg2.connect(uri) as c, c.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        return cur.fetchone()[0]


def test_consolidate_demo_config_end_to_end(tmp_path):
    """The committed config against the loaded sample sources (make sources)."""
    if not (_has_table(os.environ["TRIBUTARY_CONN_SRC_EU"], "public.users")
            and _has_table(os.environ["TRIBUTARY_CONN_SRC_PAGILA"], "public.film")):
        _unavailable("the sample sources are not loaded (run make sources)")
    rc, report, log = dags_test(airflow_env(tmp_path), tmp_path)
    assert rc == 0, f"dags test failed, see {log}"
    assert report["all_verified"] is True
    # one outcome row per target table, naming every instance merged into it (as the committed config lists them)
    import yaml

    expected: dict[str, set[str]] = {}
    for entry in yaml.safe_load((REPO / "config" / "migration.yaml").read_text())["consolidate"]["tables"]:
        expected.setdefault(entry["table"], set()).add(entry["source"])
    assert {r["table"]: set(r["source"].split("+")) for r in report["tables"]} == expected
