"""Where things live: repository, state folder, config, worker, GX project.

Defaults follow docs/contracts-local.md. One variable moves them all: ``TRIBUTARY_HOME``, the folder
holding ``config/``, ``expectations/`` and ``bin/`` (a checkout's root by default; ``/opt/tributary`` in
the Airflow image, where the DAGs themselves live apart under ``/opt/airflow/dags``). Each path can
still be overridden by its own variable.
"""

from __future__ import annotations

import os
from pathlib import Path

# dags/tributary/paths.py -> repository root
REPO_ROOT = Path(__file__).resolve().parents[2]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def home() -> Path:
    """Where the project's files live (config/, expectations/, bin/): ``TRIBUTARY_HOME``, else the checkout."""
    return _env_path("TRIBUTARY_HOME", REPO_ROOT)


def state_dir() -> Path:
    """The ignored state folder (`.stack/`): clusters, Airflow home, GX results, reports."""
    return _env_path("TRIBUTARY_STATE", home() / ".stack")


def config_path() -> Path:
    return _env_path("TRIBUTARY_CONFIG", home() / "config" / "migration.yaml")


def schema_path() -> Path:
    return _env_path("TRIBUTARY_CONFIG_SCHEMA", home() / "config" / "migration.schema.json")


def worker_path() -> Path:
    return _env_path("TRIBUTARY_WORKER", home() / "bin" / "tributary")


def expectations_dir() -> Path:
    """The committed Great Expectations project."""
    return _env_path("TRIBUTARY_EXPECTATIONS", home() / "expectations")


def gx_state_dir() -> Path:
    """Where GX validation results and data docs go (never the repository)."""
    return state_dir() / "gx"


def reports_dir() -> Path:
    return state_dir() / "reports"
