"""Running a whole DAG the way the demo does (`airflow dags test`), isolated per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
        "TRIBUTARY_LAUNCHER": "subprocess",
        "TRIBUTARY_WORKER": str(REPO / "bin" / "tributary"),
        "GX_ANALYTICS_ENABLED": "false",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    })
    env.update(extra)
    return env


def dags_test(dag_id: str, env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, str]:
    """`airflow dags test DAG_ID [args]`; returns the exit code and the log file's path."""
    log = tmp_path / f"{dag_id}.log"
    with open(log, "a") as fh:
        if not (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
            subprocess.run([AIRFLOW, "db", "migrate"], env=env, cwd=tmp_path, stdout=fh, stderr=subprocess.STDOUT,
                           check=True)
        rc = subprocess.run([AIRFLOW, "dags", "test", dag_id, *args], env=env, cwd=tmp_path,
                            stdout=fh, stderr=subprocess.STDOUT, timeout=2400).returncode
    return rc, str(log)
