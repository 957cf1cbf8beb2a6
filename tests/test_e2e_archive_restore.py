"""End to end: `airflow dags test tributary_archive`, an S3Proxy restart, then `tributary_restore`.

The archive goes to the local stack's S3 (S3Proxy, filesystem backend), so it must survive a restart of
that server (`scripts/stack.sh restart-s3`: the one process holding it; the databases need no restart);
the restored table must have the source's checksum, computed by the restore target itself.
`make test` archives and restores once (test_archive_dag_then_restore_dag); the e2e tier adds the dry run
and the restart.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import airflow_run
from airflow_run import airflow_env, scratch_databases
from conftest import REPO, STATE, WORKER, s3_client

pytestmark = [pytest.mark.stack, pytest.mark.worker]


@pytest.fixture
def databases(consolidated_uri):
    names = [f"tributary_e2e_arch_{uuid.uuid4().hex[:6]}_{r}" for r in ("src", "ctl", "restored")]
    with scratch_databases(consolidated_uri, *names) as uris:
        yield uris


def _checksum(conn_id: str, uri: str, table: str) -> dict:
    env = {**os.environ, f"TRIBUTARY_CONN_{conn_id.upper()}": uri}
    out = subprocess.run([str(WORKER), "checksum", "--conn", conn_id, "--table", table], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _objects(s3_uri: str, bucket: str) -> list[str]:
    """The keys in a bucket of the stack's S3 (none if the bucket does not exist)."""
    from botocore.exceptions import ClientError

    s3 = s3_client(s3_uri)
    try:
        return [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
                for o in page.get("Contents", [])]
    except ClientError as e:
        if e.response["Error"]["Code"] in ("NoSuchBucket", "404"):
            return []
        raise


def _sources_and_config(tmp_path, databases) -> tuple[dict, str, dict]:
    """Two tables to archive in the source database and the config naming them; (env, bucket, source checksum)."""
    import psycopg2

    src, ctl, restored = databases
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE public.legacy_coupons (id int PRIMARY KEY, code text, pct numeric(5,2), used_at timestamptz);"
                    "INSERT INTO public.legacy_coupons SELECT g, 'C' || g, g % 50, timestamptz '2019-05-01' + g * interval '1 h'"
                    " FROM generate_series(1, 1500) g;"
                    "CREATE TABLE public.tmp_export_2020 (k text PRIMARY KEY, v jsonb);"
                    "INSERT INTO public.tmp_export_2020 SELECT 'k' || g, jsonb_build_object('g', g) FROM generate_series(1, 40) g;")
    source_sum = _checksum("e2e_src", src, "public.legacy_coupons")
    bucket = f"e2e-archive-{uuid.uuid4().hex[:8]}"
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: e2e_ctl}\nsources: [{id: e2e_src}]\n"
        "targets:\n  consolidated: {connection: e2e_ctl}\n"
        f"  archive: {{connection: s3, bucket: {bucket}, prefix: archive, encryption: none, object_tags: false,"
        " lifecycle: false, drop_source_hold_days: 0, restore_targets: [e2e_restored]}\n"
        "archive:\n  tables: [e2e_src.public.legacy_coupons, e2e_src.public.tmp_export_2020]\n")
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(cfg), AIRFLOW_CONN_E2E_SRC=src, AIRFLOW_CONN_E2E_CTL=ctl,
                      AIRFLOW_CONN_E2E_RESTORED=restored)
    assert env.get("AIRFLOW_CONN_S3"), "the stack's S3 connection (.stack/env)"
    return env, bucket, source_sum


def _archive(env, tmp_path, src, source_sum) -> None:
    """`airflow dags test tributary_archive` for real: both tables verified, the sources untouched."""
    import psycopg2

    rc, log = airflow_run.dags_test("tributary_archive", env, tmp_path)
    assert rc == 0, f"archive DAG failed, see {log}"
    report = json.loads((Path(env["TRIBUTARY_STATE"]) / "reports" / "archive-outcome.json").read_text())
    assert report["all_verified"] is True
    rows = {r["table"]: r for r in report["tables"]}
    assert rows["public.legacy_coupons"]["rows"] == 1500
    assert rows["public.legacy_coupons"]["source_checksum"] == source_sum["checksum"]
    assert rows["public.legacy_coupons"]["target_checksum"] == source_sum["checksum"]
    with psycopg2.connect(src) as c, c.cursor() as cur:  # no drop_source: the sources are untouched
        cur.execute("SELECT count(*) FROM public.legacy_coupons")
        assert cur.fetchone()[0] == 1500
    assert urlsplit(src).password not in Path(log).read_text()


def _restore(env, tmp_path, restored, source_sum) -> None:
    """`airflow dags test tributary_restore` into a fresh database: the source's checksum, computed there."""
    conf = json.dumps({"catalog_entry": "e2e_src.public.legacy_coupons", "target_connection": "e2e_restored",
                       "target_table": "back.legacy_coupons"})
    rc, log = airflow_run.dags_test("tributary_restore", env, tmp_path, "-c", conf)
    assert rc == 0, f"restore DAG failed, see {log}"
    restore = json.loads((Path(env["TRIBUTARY_STATE"]) / "reports" / "restore-outcome.json").read_text())
    assert restore["all_verified"] is True
    assert _checksum("e2e_restored", restored, "back.legacy_coupons")["checksum"] == source_sum["checksum"]


def test_archive_dag_then_restore_dag(tmp_path, databases):
    """The cheapest real run of both DAGs (make test): archive two tables, restore one."""
    src, _, restored = databases
    env, _, source_sum = _sources_and_config(tmp_path, databases)
    _archive(env, tmp_path, src, source_sum)
    _restore(env, tmp_path, restored, source_sum)


def _s3proxy_pid() -> int:
    return int((STATE / "run" / "s3proxy.pid").read_text())


@pytest.mark.e2e
def test_archive_dag_then_s3proxy_restart_then_restore_dag(tmp_path, databases):
    import psycopg2

    src, ctl, restored = databases
    env, bucket, source_sum = _sources_and_config(tmp_path, databases)

    # A dry run, even asking to drop the sources, maps no archive task: the outcome names both tables as
    # "dry-run", no worker archive ran, no object and no catalog entry exist, the sources are untouched.
    (tmp_path / "dry").mkdir()
    rc, log = airflow_run.dags_test("tributary_archive", env, tmp_path / "dry", "-c",
                                    '{"dry_run": true, "drop_source": true}')
    assert rc == 0, f"archive dry run failed, see {log}"
    report = json.loads((Path(env["TRIBUTARY_STATE"]) / "reports" / "archive-outcome.json").read_text())
    assert {r["table"]: r["verified"] for r in report["tables"]} == {
        "public.legacy_coupons": "dry-run", "public.tmp_export_2020": "dry-run"}
    assert "tributary archive " not in Path(log).read_text()
    assert _objects(os.environ["TRIBUTARY_CONN_S3"], bucket) == []
    with psycopg2.connect(ctl) as c, c.cursor() as cur:
        cur.execute("SELECT to_regclass('tributary.archive_catalog')")
        if cur.fetchone()[0] is not None:
            cur.execute("SELECT count(*) FROM tributary.archive_catalog")
            assert cur.fetchone()[0] == 0
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM public.legacy_coupons), (SELECT count(*) FROM public.tmp_export_2020)")
        assert cur.fetchone() == (1500, 40)

    _archive(env, tmp_path, src, source_sum)

    # Only S3Proxy holds the archive: restart that process (a new pid); the databases keep running.
    before = _s3proxy_pid()
    done = subprocess.run([str(REPO / "scripts" / "stack.sh"), "restart-s3"],
                          env={**os.environ, "TRIBUTARY_STATE": str(STATE)}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert _s3proxy_pid() != before

    _restore(env, tmp_path, restored, source_sum)
