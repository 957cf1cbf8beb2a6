"""End to end: `airflow dags test tributary_consolidate` with the real worker against the real stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import REPO, _unavailable

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def airflow_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh AIRFLOW_HOME (SQLite) per test, everything else as scripts/airflow_env.sh sets it."""
    home = tmp_path / "airflow"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-only-" + os.urandom(8).hex(),
        "TRIBUTARY_STATE": str(tmp_path / "state"),
        "TRIBUTARY_LAUNCHER": "subprocess",
        "TRIBUTARY_WORKER": str(REPO / "bin" / "tributary"),
        "GX_ANALYTICS_ENABLED": "false",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    })
    env.update(extra)
    return env


def dags_test(env: dict[str, str], tmp_path: Path, *conf: str) -> tuple[int, dict | None, str]:
    log = tmp_path / "dags-test.log"
    with open(log, "w") as fh:
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, cwd=tmp_path, stdout=fh, stderr=subprocess.STDOUT, check=True)
        rc = subprocess.run([AIRFLOW, "dags", "test", "tributary_consolidate", *conf], env=env, cwd=tmp_path,
                            stdout=fh, stderr=subprocess.STDOUT, timeout=1500).returncode
    report = Path(env["TRIBUTARY_STATE"]) / "reports" / "consolidate-outcome.json"
    return rc, (json.loads(report.read_text()) if report.exists() else None), str(log)


@pytest.fixture
def scratch_pair(consolidated_uri):
    """Source and target databases on the consolidated instance (the only one where we may CREATEDB)."""
    import psycopg2

    admin = psycopg2.connect(consolidated_uri)
    admin.autocommit = True
    names = [f"tributary_e2e_{os.getpid()}_{role}" for role in ("src", "dst")]
    with admin.cursor() as cur:
        for n in names:
            cur.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{n}"')
    uris = [urlunsplit(urlsplit(consolidated_uri)._replace(path="/" + n)) for n in names]
    try:
        yield uris
    finally:
        with admin.cursor() as cur:
            for n in names:
                cur.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
        admin.close()


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
    assert {(r["source"], r["table"]) for r in report["tables"]} == {("src_eu", "public.users"), ("src_pagila", "public.film")}
