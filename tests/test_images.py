"""Both images, run for real against the local stack (scripts/images.sh builds them first: `make test-images`).

The worker image copies and verifies a table between two of the stack's PostgreSQL databases and keeps the CLI
contract inside a container (JSON result line, exit codes, secrets only from the environment, a non-root user).
The Airflow image imports every DAG with no import error in its own layout, and runs one DAG end to end
(`airflow dags test tributary_decommission`: control schema, lifecycle, report) against the stack.
Containers share the host's network namespace, so loopback is the stack's.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("TRIBUTARY_STATE", REPO / ".stack"))
DOCKER = "/usr/bin/docker"
WORKER_IMAGE = "tributary/worker:dev"
AIRFLOW_IMAGE = "tributary/airflow:dev"

pytestmark = [pytest.mark.images, pytest.mark.stack]


def docker(*args: str, env: dict[str, str] | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DOCKER_HOST": f"unix://{STATE}/docker/docker.sock", **(env or {})})


def run(image: str, *args: str, env: dict[str, str] | None = None, mounts: tuple[str, ...] = (),
        entrypoint: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """`docker run` with the host's network; each variable of ``env`` is passed by name only (`-e NAME`), so its value
    travels from this process's environment to the engine and never appears in an argv."""
    argv = ["run", "--rm", "--network", "host"]
    for name in env or {}:
        argv += ["-e", name]
    for mount in mounts:
        argv += ["-v", mount]
    if entrypoint:
        argv += ["--entrypoint", entrypoint]
    return docker(*argv, image, *args, env=env, timeout=timeout)


@pytest.fixture(scope="module", autouse=True)
def images_built():
    for image in (WORKER_IMAGE, AIRFLOW_IMAGE):
        found = docker("image", "inspect", image, timeout=60)
        assert found.returncode == 0, f"{image} is not built (scripts/images.sh build): {found.stderr.strip()}"


def test_the_worker_image_runs_the_cli_as_a_non_root_user():
    helped = run(WORKER_IMAGE, "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("copy", "verify", "stage", "archive", "follow"):
        assert command in helped.stdout
    who = run(WORKER_IMAGE, "-u", entrypoint="id")
    assert who.returncode == 0 and who.stdout.strip() == "10001"
    # the PostgreSQL client the whole-schema restore needs (pg_restore) is in the image
    assert run(WORKER_IMAGE, "--version", entrypoint="pg_restore").returncode == 0


def test_the_worker_image_copies_and_verifies_a_table(scratch_db, psql, consolidated_uri, tmp_path):
    import psycopg2

    psql('CREATE TABLE public."Odd Name" (id bigint PRIMARY KEY, note text, amount numeric(20,8), at timestamptz);'
         ' INSERT INTO public."Odd Name" SELECT g, md5(g::text), g / 7.0, now() - g * interval \'1 min\''
         ' FROM generate_series(1, 5000) g')
    cfg = tmp_path / "migration.yaml"
    cfg.write_text("version: 1\ncontrol: {connection: consolidated}\nsources: [{id: image_probe}]\n"
                   "targets: {consolidated: {connection: consolidated}}\n")
    cfg.chmod(0o644)
    env = {"TRIBUTARY_CONN_IMAGE_PROBE": scratch_db, "TRIBUTARY_CONN_CONSOLIDATED": consolidated_uri}
    target = "tributary_image_probe"
    try:
        copied = run(WORKER_IMAGE, "copy", "--config", "/cfg/migration.yaml", "--source", "image_probe",
                     "--table", 'public."Odd Name"', "--target-table", f'{target}."Odd Name"', env=env,
                     mounts=(f"{cfg}:/cfg/migration.yaml:ro",))
        assert copied.returncode == 0, copied.stderr[-3000:]
        result = json.loads(copied.stdout.strip().splitlines()[-1])
        assert result["verified"] is True and result["rows"] == 5000
        for secret_bearing in env.values():
            assert secret_bearing not in copied.stdout + copied.stderr
        # checked apart from the worker's own checksum: the same aggregates on both sides
        figures = ("SELECT count(*), sum(id), sum(amount), md5(string_agg(note || at::text, ',' ORDER BY id))"
                   " FROM {}")
        sides = []
        for uri, table in ((scratch_db, 'public."Odd Name"'), (consolidated_uri, f'{target}."Odd Name"')):
            conn = psycopg2.connect(uri)
            with conn, conn.cursor() as cur:
                cur.execute(figures.format(table))
                sides.append(cur.fetchone())
            conn.close()
        assert sides[0] == sides[1] and sides[0][0] == 5000
        # bad input: exit 2 from the container, naming what is wrong
        missing = run(WORKER_IMAGE, "copy", "--config", "/cfg/migration.yaml", "--source", "image_probe",
                      "--table", "public.no_such_table", env=env, mounts=(f"{cfg}:/cfg/migration.yaml:ro",))
        assert missing.returncode == 2, missing.stderr[-2000:]
        assert "no_such_table" in missing.stdout + missing.stderr
    finally:
        conn = psycopg2.connect(consolidated_uri)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {target} CASCADE")
            cur.execute("DELETE FROM tributary.table_status WHERE source = 'image_probe'")
        conn.close()


def test_the_airflow_image_imports_every_dag_and_runs_one_end_to_end(consolidated_uri):
    env = {name: value for name, value in os.environ.items() if name.startswith("AIRFLOW_CONN_")}
    # Airflow 3 lists DAGs and import errors from its metadata database: reserialize parses the DAG folder into it.
    # Airflow logs to stdout too: each JSON answer is the last line of its own file, printed after a marker.
    script = ("set -e; airflow db migrate >/dev/null 2>&1; airflow dags reserialize >/dev/null 2>&1;"
              " airflow dags list-import-errors -o json >/tmp/errors.out 2>/dev/null;"
              " airflow dags list -o json >/tmp/dags.out 2>/dev/null;"
              " echo '--- errors'; tail -n 1 /tmp/errors.out; echo '--- dags'; tail -n 1 /tmp/dags.out;"
              " echo '--- test'; airflow dags test tributary_decommission;"
              " test -s \"$TRIBUTARY_STATE/reports/migration-report.html\" && echo '--- report written'")
    ran = run(AIRFLOW_IMAGE, "-c", script, env=env, entrypoint="bash", timeout=1200)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-4000:]
    errors = ran.stdout.split("--- errors\n", 1)[1].split("--- dags\n", 1)[0].strip()
    assert errors in ("[]", "No data found"), errors
    dags, test_log = ran.stdout.split("--- dags\n", 1)[1].split("--- test\n", 1)
    listed = {d["dag_id"] for d in json.loads(dags.strip())}
    # every DAG file of the checkout parsed in the image (a file that fails to import lists no DAG)
    declared = {m for f in (REPO / "dags").glob("*.py") for m in re.findall(r'dag_id="([^"]+)"', f.read_text())}
    assert len(declared) >= 8 and declared <= listed, declared - listed
    assert "--- report written" in test_log, (test_log + ran.stderr)[-3000:]
    log = test_log + ran.stderr
    for value in env.values():
        assert value not in log
