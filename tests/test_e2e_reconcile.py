"""End to end, phase 5's dual run: `airflow dags test tributary_reconcile` against a real `tributary follow`
(prepared, the table copied, the follower running) on scratch databases. One run (~1.5 min: four worker JVMs and the
DAG run); the reconciliation logic itself is covered in seconds by tests/test_reconcile.py."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import airflow_run

REPO = Path(__file__).resolve().parents[1]
WORKER = str(REPO / "bin" / "tributary")


def _database(admin_uri: str, name: str) -> str:
    import psycopg2

    conn = psycopg2.connect(admin_uri)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return urlunsplit(urlsplit(admin_uri)._replace(path="/" + name))


def _drop(admin_uri: str, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_uri)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _sql(uri: str, sql: str) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(uri)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else []
    conn.close()
    return rows


def _worker(env: dict, *argv: str) -> dict:
    out = subprocess.run([WORKER, *argv], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.e2e
@pytest.mark.stack
@pytest.mark.worker
def test_airflow_dags_test_reconciles_a_live_follow_and_confirms_a_real_mismatch(consolidated_uri, tmp_path):
    tag = uuid.uuid4().hex[:8]
    src_name, dst_name = f"tributary_rsrc_{tag}", f"tributary_rdst_{tag}"
    src, dst = _database(consolidated_uri, src_name), _database(consolidated_uri, dst_name)
    follower = None
    try:
        _sql(src, "CREATE TABLE public.accounts (id int PRIMARY KEY, owner text, balance numeric(12,2));"
                  " INSERT INTO public.accounts SELECT g, 'owner ' || g, g * 1.5 FROM generate_series(1, 500) g")
        cfg = tmp_path / "migration.yaml"
        cfg.write_text("version: 1\ncontrol: {connection: recon_dst}\nsources: [{id: recon_src}]\n"
                       "targets: {consolidated: {connection: recon_dst}}\n"
                       "reconcile: {schedule: '@hourly', confirm_timeout_seconds: 30}\n")
        env = {**os.environ, "TRIBUTARY_CONN_RECON_SRC": src, "TRIBUTARY_CONN_RECON_DST": dst}
        follow = ["follow", "--config", str(cfg), "--source", "recon_src", "--slot", "tributary_recon_src",
                  "--table", "public.accounts"]
        stop = tmp_path / "prepare.stop"
        stop.touch()  # the snapshot is released at once: nothing writes while the table is copied
        _worker(env, *follow, "--prepare", "--stop-file", str(stop))
        _worker(env, "copy", "--config", str(cfg), "--source", "recon_src", "--table", "public.accounts")
        # the follower runs for the whole DAG run, as during a dual run
        running = tmp_path / "follow.stop"
        follower = subprocess.Popen([WORKER, *follow, "--stop-file", str(running)], env=env, stdout=subprocess.DEVNULL,
                                    stderr=open(tmp_path / "follow.log", "w"))
        deadline = time.monotonic() + 120
        while not _sql(src, "SELECT active FROM pg_replication_slots WHERE slot_name = 'tributary_recon_src'")[0][0]:
            assert follower.poll() is None and time.monotonic() < deadline, (tmp_path / "follow.log").read_text()
            time.sleep(0.2)
        # a source change the follower applies, and a row written on the target behind the follower's back
        _sql(src, "UPDATE public.accounts SET balance = 0 WHERE id = 3")
        _sql(dst, "UPDATE public.accounts SET owner = 'intruder' WHERE id = 42")

        air = airflow_run.airflow_env(tmp_path, TRIBUTARY_CONFIG=str(cfg), AIRFLOW_CONN_RECON_SRC=src,
                                      AIRFLOW_CONN_RECON_DST=dst)
        rc, log = airflow_run.dags_test("tributary_reconcile", air, tmp_path)
        assert rc == 0, f"see {log}"
    finally:
        if follower is not None:
            (tmp_path / "follow.stop").touch()
            follower.wait(timeout=120)
        try:
            _sql(src, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                      " WHERE slot_name = 'tributary_recon_src'")
        finally:
            rows = _sql(dst, "SELECT mode, rows_compared, confirmed, unsettled, mismatches::text"
                             " FROM tributary.reconcile_passes ORDER BY pass_id") if follower else []
            _drop(consolidated_uri, src_name)
            _drop(consolidated_uri, dst_name)
    # the first pass of a table is a full one (tributary diff); the follower's update is no mismatch, the
    # target-only write is, confirmed after the follower had applied past the source read
    [(mode, compared, confirmed, unsettled, mismatches)] = rows
    assert (mode, compared, confirmed, unsettled) == ("full", 500, 1, 0)
    assert json.loads(mismatches) == [{"key": {"id": "42"}, "kind": "different", "columns": ["owner"]}]
