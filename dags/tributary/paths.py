"""Where things live: repository, state folder, config, worker, GX project.

Defaults follow docs/contracts-local.md; each can be overridden by its environment variable so
the same package works from a checkout, a Docker image or a Kubernetes pod.
"""

from __future__ import annotations

import os
from pathlib import Path

# dags/tributary/paths.py -> repository root
REPO_ROOT = Path(__file__).resolve().parents[2]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def state_dir() -> Path:
    """The ignored state folder (`.stack/`): clusters, Airflow home, GX results, reports."""
    return _env_path("TRIBUTARY_STATE", REPO_ROOT / ".stack")


def config_path() -> Path:
    return _env_path("TRIBUTARY_CONFIG", REPO_ROOT / "config" / "migration.yaml")


def schema_path() -> Path:
    return _env_path("TRIBUTARY_CONFIG_SCHEMA", REPO_ROOT / "config" / "migration.schema.json")


def worker_path() -> Path:
    return _env_path("TRIBUTARY_WORKER", REPO_ROOT / "bin" / "tributary")


def expectations_dir() -> Path:
    """The committed Great Expectations project."""
    return _env_path("TRIBUTARY_EXPECTATIONS", REPO_ROOT / "expectations")


def gx_state_dir() -> Path:
    """Where GX validation results and data docs go (never the repository)."""
    return state_dir() / "gx"


def reports_dir() -> Path:
    return state_dir() / "reports"
