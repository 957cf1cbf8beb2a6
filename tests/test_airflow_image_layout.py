"""The DAGs import in the Airflow image's layout, without Docker.

docker/airflow.Dockerfile puts the DAGs under /opt/airflow/dags and config/ + expectations/ under
/opt/tributary, and connects the two with environment variables. This test reads the Dockerfile's own
COPY and ENV instructions, lays the files out the same way under a temporary root (``/opt/...`` becomes
``<tmp>/opt/...``), and imports every DAG there in a fresh interpreter that cannot see the checkout:
a path the image gets wrong is an import error here. (The image build itself: README "Production shape".)
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "docker" / "airflow.Dockerfile"


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines, joined = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        joined += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            lines.append(joined)
            joined = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def image_layout(root: Path) -> dict[str, str]:
    """Copies what the Dockerfile COPYs from the context to ``root``; returns its ENV, remapped under root."""
    env: dict[str, str] = {}
    for op, args in _instructions(DOCKERFILE.read_text()):
        if op == "COPY":
            words = [w for w in shlex.split(args) if not w.startswith("--")]
            *sources, dest = words
            for source in sources:
                src, target = REPO / source, root / dest.lstrip("/")
                if src.is_dir():
                    shutil.copytree(src, target, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__", "generated"))
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, target / src.name if dest.endswith("/") else target)
        elif op == "ENV":
            for pair in shlex.split(args):
                name, value = pair.split("=", 1)
                env[name] = str(root / value.lstrip("/")) if value.startswith("/") else value
    return env


CHECK = r"""
import json
from pathlib import Path
from airflow.configuration import conf
from airflow.dag_processing.dagbag import BundleDagBag
# How the DAG processor reads the default "dags-folder" bundle: the folder joins sys.path, so `tributary` imports.
folder = Path(conf.get("core", "dags_folder"))
bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder)
from tributary import paths
print(json.dumps({
    "errors": {k: v[-400:] for k, v in bag.import_errors.items()},
    "dags": sorted(bag.dag_ids),
    "package": paths.__file__,
    "schema": str(paths.schema_path()), "schema_exists": paths.schema_path().is_file(),
    "config_exists": paths.config_path().is_file(),
    "expectations_exists": (paths.expectations_dir() / "gx").is_dir(),
}))
"""


def test_every_dag_imports_in_the_airflow_image_layout(tmp_path):
    env_in_image = image_layout(tmp_path)
    assert env_in_image["TRIBUTARY_HOME"] == str(tmp_path / "opt" / "tributary")
    # Nothing of the checkout's own TRIBUTARY_* settings may help the image find its files.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_") and k != "PYTHONPATH"}
    env.update(env_in_image)
    # A loaded 2-core machine can take longer than Airflow's 30 s per DAG file; that is not the image's fault.
    env["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "300"
    run = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    assert found["package"].startswith(str(tmp_path / "opt" / "airflow" / "dags")), found["package"]
    assert found["schema"].startswith(str(tmp_path / "opt" / "tributary")) and found["schema_exists"]
    assert found["config_exists"] and found["expectations_exists"]
    dag_files = sorted(p.stem for p in (REPO / "dags").glob("tributary_*.py"))
    assert set(dag_files) <= set(found["dags"]), found["dags"]


def test_the_build_context_leaves_local_state_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    for path in (".stack/", "java-workers/target/", ".venv/"):
        assert path in ignored, path


def test_dockerfiles_take_their_base_images_as_build_arguments():
    for name, args in (("airflow.Dockerfile", {"AIRFLOW_IMAGE"}), ("worker.Dockerfile", {"BUILD_IMAGE", "RUNTIME_IMAGE"})):
        text = (REPO / "docker" / name).read_text()
        declared = set(re.findall(r"^ARG (\w+)=\S+", text, re.M))
        bases = re.findall(r"^FROM (\S+)", text, re.M)
        assert args <= declared, name
        assert all(b.startswith("${") for b in bases), (name, bases)
