"""Running a whole DAG the way the demo does (`airflow dags test`), isolated per test."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conftest import REPO, STATE

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
# Reused between tests and runs (migrated metadata databases); in the ignored state folder.
TEST_CACHE = STATE / "test-cache"


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
        # A failing task is retried after 1 s, not the DAGs' 20-30 s (doubling), and the GX gates skip
        # rebuilding the data docs site: the tests read the validation results, never the HTML.
        "TRIBUTARY_RETRY_DELAY_SECONDS": "1",
        "TRIBUTARY_GX_DATA_DOCS": "false",
        # OpenLineage events of this test's runs (dags/tributary/lineage.py), in its own state folder.
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "append": True,
                                                       "log_file_path": str(tmp_path / "lineage.jsonl")}),
        "AIRFLOW__OPENLINEAGE__EXTRACTORS": "tributary.lineage.WorkerLineageExtractor",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    })
    env.update(extra)
    return env


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if missing), shared by the xdist workers and concurrent runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def migrated_metadata_db() -> Path:
    """A SQLite Airflow metadata database right after `airflow db migrate`, made once for this Python env
    (keyed by its requirements.lock, hence by the Airflow version) and copied into each test's AIRFLOW_HOME:
    a migration costs 15-80 s of a 2-core machine, a copy nothing. It holds no path, secret or DAG."""
    stamp = Path(sys.executable).parent.parent / ".lock.sha256"  # written by scripts/bootstrap.sh
    key = stamp.read_text().strip() if stamp.exists() else sys.executable
    db = TEST_CACHE / f"airflow-metadata-{hashlib.sha256(key.encode()).hexdigest()[:12]}.db"
    with _locked(db.with_suffix(".lock")):
        if not db.exists():
            home = TEST_CACHE / f"migrate-{os.getpid()}"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            env = airflow_env(home)
            with open(home / "migrate.log", "w") as fh:
                subprocess.run([AIRFLOW, "db", "migrate"], env=env, cwd=home, stdout=fh, stderr=subprocess.STDOUT,
                               check=True)
            os.replace(home / "airflow" / "airflow.db", db)  # whole or not at all
            shutil.rmtree(home, ignore_errors=True)
    return db


def _admin_run(admin_uri: str, statements: list[str]) -> None:
    import psycopg2

    admin = psycopg2.connect(admin_uri)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
    finally:
        admin.close()


@contextmanager
def scratch_databases(admin_uri: str, *names: str, scheme: str | None = None,
                      template: str | None = None) -> Iterator[list[str]]:
    """Throwaway databases for one e2e test on the consolidated instance (role tributary has CREATEDB):
    a leftover of a killed run is dropped first, all are dropped after; yields their URIs in order
    (`scheme` e.g. postgresql+psycopg2 for Airflow's metadata). The drop reconnects, so a stack restart
    in between (the archive -> restore test) does not matter. `template`: each database starts as a copy of
    that one (`CREATE DATABASE … TEMPLATE`, see `template_database`) instead of empty."""
    run = partial(_admin_run, admin_uri)
    drops = [f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names]
    like = f' TEMPLATE "{template}"' if template else ""
    run(drops + [f'CREATE DATABASE "{n}"{like}' for n in names])
    base = urlsplit(admin_uri)
    try:
        yield [urlunsplit(base._replace(path="/" + n, scheme=scheme or base.scheme)) for n in names]
    finally:
        run(drops)


def template_database(admin_uri: str, sql: str) -> str:
    """The name of a database holding what `sql` creates, made once on the consolidated instance and kept
    (named by the SQL's hash, so a changed SQL makes a new one): tests that need the same data pass it as
    `scratch_databases(..., template=...)` and get a copy (`CREATE DATABASE … TEMPLATE`) instead of loading
    it again. Nobody connects to it after it is made (a template with a session cannot be copied)."""
    import psycopg2

    name = "tributary_template_" + hashlib.sha256(sql.encode()).hexdigest()[:12]
    with _locked(TEST_CACHE / f"{name}.lock"):
        admin = psycopg2.connect(admin_uri)
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,))
                found = cur.fetchone()
                if found and found[0] == "complete":
                    return name
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a half-made one of a killed run
                cur.execute(f'CREATE DATABASE "{name}"')
            uri = urlunsplit(urlsplit(admin_uri)._replace(path="/" + name))
            with psycopg2.connect(uri) as conn, conn.cursor() as cur:
                cur.execute(sql)
            conn.close()
            with admin.cursor() as cur:
                cur.execute(f"COMMENT ON DATABASE \"{name}\" IS 'complete'")
        finally:
            admin.close()
    return name


def dags_test(dag_id: str, env: dict[str, str], tmp_path: Path, *args: str, timeout: float = 2400) -> tuple[int, str]:
    """`airflow dags test DAG_ID [args]`; returns the exit code and the log file's path."""
    log = tmp_path / f"{dag_id}.log"
    with open(log, "a") as fh:
        metadata = Path(env["AIRFLOW_HOME"]) / "airflow.db"
        if env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{metadata}":
            if not metadata.exists():
                shutil.copyfile(migrated_metadata_db(), metadata)  # instead of `airflow db migrate`
        elif not metadata.exists():  # metadata elsewhere (PostgreSQL): migrate it, as always
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

    def create_pools(self) -> None:
        """The pools of this test's migration.yaml, as scripts/airflow_env.sh's tributary_airflow_pools makes them:
        the scheduler never starts a task whose pool is missing (`airflow dags test`, in dags_test, ignores pools)."""
        from tributary import config, pools

        cfg = config.load(self.env.get("TRIBUTARY_CONFIG"))
        wanted = self.tmp_path / "pools.json"
        wanted.write_text(json.dumps(pools.pools(cfg)))
        self.airflow("pools", "import", str(wanted))
        problems = pools.check(cfg, pools.listed_pools(self.airflow("pools", "list", "-o", "json").stdout))
        assert not problems, problems

    def __enter__(self) -> "AirflowServices":
        import time
        import urllib.request

        self.airflow("db", "migrate")
        self.airflow("dags", "reserialize")  # the scheduler and backfill read serialized DAGs only
        self.create_pools()
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
        """`airflow backfill create`, then wait until every run of the DAG is finished; returns the runs, less
        the backfill runs of other days (another test's backfill in a shared session)."""
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
                return [r for r in runs if not r["run_id"].startswith("backfill__")
                        or from_date <= r["run_id"].split("__")[1][:10] <= to_date]
            if time.monotonic() > deadline:
                raise AssertionError(f"backfill of {dag_id} not finished after {timeout} s: {runs}")
            if any(p.poll() is not None for p in self.procs):
                raise AssertionError(f"an Airflow service died: see {self.tmp_path}/airflow-*.log")
            time.sleep(10)
