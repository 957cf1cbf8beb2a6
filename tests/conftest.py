"""Shared fixtures: the local stack's connections, a scratch database, the worker.

Tests marked ``stack`` / ``worker`` need the running stack / the built jar. Locally they skip when
those are missing; with ``CI=true`` they fail, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shlex
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("TRIBUTARY_STATE", REPO / ".stack"))
JAR = REPO / "java-workers" / "target" / "tributary.jar"
WORKER = REPO / "bin" / "tributary"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str):
    if _in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def _load_stack_env() -> None:
    """Pick up .stack/env when the caller did not source it (scripts/test.sh does)."""
    if os.environ.get("TRIBUTARY_CONN_CONSOLIDATED"):
        return
    env_file = STATE / "env"
    if not env_file.exists():
        return
    for line in env_file.read_text().splitlines():
        parts = shlex.split(line, comments=True)
        if len(parts) == 2 and parts[0] == "export" and "=" in parts[1]:
            key, value = parts[1].split("=", 1)
            os.environ.setdefault(key, value)


def s3_client(uri: str):
    """A boto3 S3 client for a worker-style S3 URI (s3://KEY:SECRET@HOST:PORT?region=...&scheme=http[&cafile=CA])."""
    import boto3

    from tributary.connections import boto3_s3_arguments

    return boto3.client("s3", **boto3_s3_arguments(uri))


def _reachable(uri: str) -> bool:
    parts = urlsplit(uri)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item):
    if item.get_closest_marker("stack"):
        _load_stack_env()
        uri = os.environ.get("TRIBUTARY_CONN_CONSOLIDATED")
        if not uri:
            _unavailable(f"the local stack is not set up ({STATE}/env missing; run make stack-up)")
        if not _reachable(uri):
            _unavailable("the local stack is not running (consolidated PostgreSQL unreachable; run make stack-up)")
    if item.get_closest_marker("worker"):
        if not (WORKER.exists() and JAR.exists()):
            _unavailable(f"the worker is not built ({JAR} or {WORKER} missing; run make worker)")


def pytest_collection_modifyitems(config, items):
    """The files of real DAG runs (tests/test_e2e_*.py) first, each keeping its order: under pytest-xdist the
    slow runs then start at once while the other worker gets through the quick tests, not all at the end."""
    items.sort(key=lambda item: 0 if item.path.name.startswith("test_e2e_") else 1)


@pytest.fixture
def consolidated_uri() -> str:
    return os.environ["TRIBUTARY_CONN_CONSOLIDATED"]


@pytest.fixture
def scratch_db(consolidated_uri):
    """A throwaway database on the consolidated instance (role tributary has CREATEDB); dropped after."""
    import psycopg2

    name = f"tributary_scratch_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(consolidated_uri)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(consolidated_uri)
    uri = urlunsplit(parts._replace(path="/" + name))
    try:
        yield uri
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def psql(scratch_db):
    """Run SQL in the scratch database."""
    import psycopg2

    conn = psycopg2.connect(scratch_db)
    conn.autocommit = True

    def run(sql: str):
        with conn.cursor() as cur:
            cur.execute(sql)

    yield run
    conn.close()


def shared_tmp(tmp_path_factory) -> Path:
    """A folder every xdist worker of this run sees (the run's base temp; the worker's own one without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def discovered_plan(tmp_path_factory) -> dict:
    """ONE real `airflow dags test tributary_discover` of the committed config against the loaded sample
    sources, shared by every test that needs a plan: its state folder (`state`, with `plan/plan.json` and
    `gx-generated/`), `plan` (the parsed plan.json), `plan_dir`, `log`. Under xdist the first worker that asks
    runs it; the others wait for it and read the same folder."""
    import fcntl
    import json

    import airflow_run

    root = shared_tmp(tmp_path_factory) / "discovered-plan"
    root.mkdir(exist_ok=True)
    done = root / "done.json"
    with open(root / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            env = airflow_run.airflow_env(root)
            rc, log = airflow_run.dags_test("tributary_discover", env, root)
            done.write_text(json.dumps({"rc": rc, "log": log, "state": env["TRIBUTARY_STATE"]}))
        fcntl.flock(lock, fcntl.LOCK_UN)
    run = json.loads(done.read_text())
    assert run["rc"] == 0, f"dags test failed, see {run['log']}"
    plan_dir = Path(run["state"]) / "plan"
    return {"plan": json.loads((plan_dir / "plan.json").read_text()), "plan_dir": plan_dir,
            "state": Path(run["state"]), "log": run["log"]}


def pytest_terminal_summary(terminalreporter):
    """Figures a test records with record_property("classification report", text) (test_classifier.py) are printed
    at the end of the run, also under pytest-xdist (user properties travel back to the controller)."""
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "classification report" and getattr(report, "when", "call") == "call":
                    terminalreporter.write_sep("=", "table classifier: leave one database out (issue 21)")
                    terminalreporter.write_line(str(value))
