"""Running a whole DAG the way the demo does (`airflow dags test`), isolated per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conftest import REPO

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def airflow_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh AIRFLOW_HOME (SQLite) per test, everything else as scripts/airflow_env.sh sets it."""
    home = tmp_path / "airflow"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "dags" / "tributary" / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__API_AUTH__JWT_SECRET": "test-only-" + os.urandom(8).hex(),
        "TRIBUTARY_STATE": str(tmp_path / "state"),
        # the discover DAG's generated GX suites: per test, never the repository's expectations/generated
        "TRIBUTARY_GX_GENERATED": str(tmp_path / "state" / "gx-generated"),
        "TRIBUTARY_LAUNCHER": "subprocess",
        "TRIBUTARY_WORKER": str(REPO / "bin" / "tributary"),
        "GX_ANALYTICS_ENABLED": "false",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    })
    env.update(extra)
    return env


@contextmanager
def scratch_databases(admin_uri: str, *names: str, scheme: str | None = None) -> Iterator[list[str]]:
    """Throwaway databases for one e2e test on the consolidated instance (role tributary has CREATEDB):
    a leftover of a killed run is dropped first, all are dropped after; yields their URIs in order
    (`scheme` e.g. postgresql+psycopg2 for Airflow's metadata). The drop reconnects, so a stack restart
    in between (the archive -> restore test) does not matter."""
    import psycopg2

    def run(statements: list[str]) -> None:
        admin = psycopg2.connect(admin_uri)
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
        finally:
            admin.close()

    drops = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names]
    run(drops + [f'CREATE DATABASE "{n}"' for n in names])
    base = urlsplit(admin_uri)
    try:
        yield [urlunsplit(base._replace(path="/" + n, scheme=scheme or base.scheme)) for n in names]
    finally:
        run(drops)


def dags_test(dag_id: str, env: dict[str, str], tmp_path: Path, *args: str, timeout: float = 2400) -> tuple[int, str]:
    """`airflow dags test DAG_ID [args]`; returns the exit code and the log file's path."""
    log = tmp_path / f"{dag_id}.log"
    with open(log, "a") as fh:
        if not (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
            subprocess.run([AIRFLOW, "db", "migrate"], env=env, cwd=tmp_path, stdout=fh, stderr=subprocess.STDOUT,
                           check=True)
        rc = subprocess.run([AIRFLOW, "dags", "test", dag_id, *args], env=env, cwd=tmp_path,
                            stdout=fh, stderr=subprocess.STDOUT, timeout=timeout).returncode
    return rc, str(log)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AirflowServices:
    """A real scheduler + api-server for one test's AIRFLOW_HOME (backfills need both: the scheduler
    creates and queues the runs, LocalExecutor's tasks talk to the api-server's execution API).

    Use as a context manager; the processes get their own process group and are stopped on exit.
    """

    def __init__(self, env: dict[str, str], tmp_path: Path, *, startup_timeout: float = 300):
        port = _free_port()
        self.env = dict(env)
        self.env.update({
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": self.env.get("AIRFLOW__CORE__PARALLELISM", "4"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp_path / "logs"),
        })
        self.port = port
        self.tmp_path = tmp_path
        self.startup_timeout = startup_timeout
        self.procs: list[subprocess.Popen] = []

    def airflow(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        log = self.tmp_path / "airflow-cli.log"
        with open(log, "a") as fh:
            fh.write(f"\n$ airflow {' '.join(args)}\n")
            fh.flush()
            out = subprocess.run([AIRFLOW, *args], env=self.env, cwd=self.tmp_path, capture_output=True, text=True,
                                 timeout=timeout)
            fh.write(out.stdout + out.stderr)
        if check and out.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} exit {out.returncode}: {out.stderr[-2000:]}")
        return out

    def __enter__(self) -> "AirflowServices":
        import time
        import urllib.request

        self.airflow("db", "migrate")
        self.airflow("dags", "reserialize")  # the scheduler and backfill read serialized DAGs only
        for name in ("api-server", "scheduler"):
            fh = open(self.tmp_path / f"airflow-{name}.log", "w")
            args = [AIRFLOW, name] + (["--port", str(self.port), "--host", "127.0.0.1"] if name == "api-server" else [])
            self.procs.append(subprocess.Popen(args, env=self.env, cwd=self.tmp_path, stdout=fh,
                                               stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/monitor/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if any(p.poll() is not None for p in self.procs) or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise AssertionError(f"Airflow services did not start: see {self.tmp_path}/airflow-*.log")
            time.sleep(3)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)
        self.procs.clear()

    def runs(self, dag_id: str) -> list[dict]:
        import json

        out = self.airflow("dags", "list-runs", dag_id, "-o", "json")
        for line in reversed(out.stdout.strip().splitlines()):  # log lines may precede the JSON
            if line.startswith("[{") or line.strip() == "[]":
                return json.loads(line)
        return []

    def backfill(self, dag_id: str, from_date: str, to_date: str, *, conf: dict | None = None,
                 reprocess: str = "none", timeout: float = 1800) -> list[dict]:
        """`airflow backfill create`, then wait until every run of the DAG is finished; returns the runs."""
        import json
        import time

        args = ["backfill", "create", "--dag-id", dag_id, "--from-date", from_date, "--to-date", to_date,
                "--reprocess-behavior", reprocess]
        if conf is not None:
            args += ["--dag-run-conf", json.dumps(conf)]
        deadline = time.monotonic() + timeout
        # The scheduler marks the previous backfill complete a loop after its last run ends; until then
        # `backfill create` refuses (AlreadyRunningBackfill), so a back-to-back backfill waits for it.
        while "AlreadyRunningBackfill" in (out := self.airflow(*args, check=False)).stderr + out.stdout:
            if time.monotonic() > deadline:
                raise AssertionError(f"the previous backfill of {dag_id} never completed")
            time.sleep(10)
        if out.returncode != 0:
            raise AssertionError(f"airflow {' '.join(args)} exit {out.returncode}: {out.stderr[-2000:]}")
        while True:
            runs = self.runs(dag_id)
            if runs and all(r["state"] in ("success", "failed") for r in runs):
                return runs
            if time.monotonic() > deadline:
                raise AssertionError(f"backfill of {dag_id} not finished after {timeout} s: {runs}")
            if any(p.poll() is not None for p in self.procs):
                raise AssertionError(f"an Airflow service died: see {self.tmp_path}/airflow-*.log")
            time.sleep(10)
