"""The archive's Parquet files are readable by an independent reader (pyarrow), with the source's values."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from airflow_run import scratch_databases
from conftest import REPO, WORKER, s3_client

pytestmark = [pytest.mark.stack, pytest.mark.worker]


@pytest.fixture(scope="module")
def s3_uri():
    """moto's S3 (scripts/test.sh exports it); started here when run outside scripts/test.sh."""
    uri = os.environ.get("TRIBUTARY_TEST_S3_URI")
    if uri:
        yield uri
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(60):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    try:
        yield f"s3://moto-test:moto-secret@127.0.0.1:{port}?region=us-east-1&scheme=http"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def databases(consolidated_uri):
    names = [f"tributary_pyarrow_{uuid.uuid4().hex[:8]}_{r}" for r in ("src", "ctl")]
    with scratch_databases(consolidated_uri, *names) as uris:
        yield uris


def test_pyarrow_reads_the_archive_with_the_source_values(tmp_path, databases, s3_uri):
    import psycopg2
    import pyarrow.parquet as pq

    src, ctl = databases
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE public.stale_orders (id bigint PRIMARY KEY, sym text, px numeric(18,6),"
                    " qty integer, placed timestamptz, meta jsonb, lots int[]);"
                    "INSERT INTO public.stale_orders SELECT g, 'SYM' || (g % 7), g / 8.0, g % 100,"
                    " timestamptz '2018-03-01 09:30:00+00' + g * interval '1 minute', jsonb_build_object('g', g),"
                    " ARRAY[g, g * 2] FROM generate_series(1, 3000) g;")
    bucket = f"pyarrow-{uuid.uuid4().hex[:8]}"
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: ctl}\nsources: [{id: src_old}]\n"
        f"targets:\n  consolidated: {{connection: ctl}}\n  archive: {{connection: arch, bucket: {bucket},"
        " prefix: cold, encryption: AES256, rows_per_file: 1000}\n")
    env = {**os.environ, "TRIBUTARY_CONN_SRC_OLD": src, "TRIBUTARY_CONN_CTL": ctl, "TRIBUTARY_CONN_ARCH": s3_uri}
    proc = subprocess.run([str(WORKER), "archive", "--config", str(cfg), "--source", "src_old", "--table",
                           "public.stale_orders", "--run-id", "pyarrow"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["verified"] is True and result["rows"] == 3000 and result["files"] == 3

    s3 = s3_client(s3_uri)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="cold/")["Contents"])
    folder = "cold/src_old/public/stale_orders/pyarrow/"
    assert keys == [folder + "catalog.json"] + [folder + f"part-0000{i}.parquet" for i in range(3)]
    catalog = json.loads(s3.get_object(Bucket=bucket, Key=folder + "catalog.json")["Body"].read())
    tables = [pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
              for k in keys if k.endswith(".parquet")]
    assert [t.num_rows for t in tables] == [f["rows"] for f in catalog["data"]["files"]]
    assert all(pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read())).metadata.row_group(0)
               .column(0).compression == "ZSTD" for k in keys if k.endswith(".parquet"))
    rows = {r["id"]: r for t in tables for r in t.to_pylist()}
    assert len(rows) == 3000
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("SELECT id, sym, px, qty, placed, meta::text, lots::text FROM public.stale_orders"
                    " WHERE id IN (1, 777, 3000) ORDER BY id")
        for id_, sym, px, qty, placed, meta, lots in cur.fetchall():
            r = rows[id_]
            assert (r["sym"], r["qty"]) == (sym, qty)
            assert r["px"] == Decimal(px) and str(tables[0].schema.field("px").type) == "decimal128(18, 6)"
            assert r["placed"] == placed  # timestamptz: UTC-exact microseconds
            assert json.loads(r["meta"]) == json.loads(meta) and r["lots"] == lots
    assert catalog["checksum"]["source"]["checksum"] == result["checksum"] == catalog["checksum"]["archive"]["checksum"]
    assert catalog["columns"][2] == {"name": "px", "type": "numeric(18,6)", "not_null": False,
                                     "parquet_type": catalog["columns"][2]["parquet_type"]}


def test_a_client_side_encrypted_archive_is_not_parquet_without_its_key(tmp_path, databases, s3_uri):
    """The shipped worker jar, raw-aes keyring: what S3 holds is ciphertext pyarrow cannot open; the key (only in
    the worker's environment) is printed nowhere; catalog.json stays readable and names the variable, not the key."""
    import base64

    import psycopg2
    import pyarrow
    import pyarrow.parquet as pq

    src, ctl = databases
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("CREATE TABLE public.stale_notes (id int PRIMARY KEY, note text);"
                    "INSERT INTO public.stale_notes SELECT g, 'note ' || g FROM generate_series(1, 2000) g;")
    bucket = f"pyarrow-cse-{uuid.uuid4().hex[:8]}"
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: ctl}\nsources: [{id: src_old}]\n"
        f"targets:\n  consolidated: {{connection: ctl}}\n  archive: {{connection: arch, bucket: {bucket},"
        " prefix: cold, encryption: AES256,"
        " client_side_encryption: {keyring: raw-aes, key_env: TRIBUTARY_TEST_ARCHIVE_KEY}}\n")
    key = base64.b64encode(os.urandom(32)).decode()
    env = {**os.environ, "TRIBUTARY_CONN_SRC_OLD": src, "TRIBUTARY_CONN_CTL": ctl, "TRIBUTARY_CONN_ARCH": s3_uri,
           "TRIBUTARY_TEST_ARCHIVE_KEY": key}
    proc = subprocess.run([str(WORKER), "archive", "--config", str(cfg), "--source", "src_old", "--table",
                           "public.stale_notes", "--run-id", "cse"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert key not in proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["verified"] is True and result["rows"] == 2000
    assert result["client_side_encryption"] == "raw-aes (master key from $TRIBUTARY_TEST_ARCHIVE_KEY)"

    s3 = s3_client(s3_uri)
    folder = "cold/src_old/public/stale_notes/cse/"
    stored = s3.get_object(Bucket=bucket, Key=folder + "part-00000.parquet")
    assert stored["Metadata"]["x-amz-cek-alg"] == "AES/GCM/NoPadding" and "x-amz-key-v2" in stored["Metadata"]
    body = stored["Body"].read()
    assert body[:4] != b"PAR1" and body[-4:] != b"PAR1"
    with pytest.raises(pyarrow.ArrowInvalid):
        pq.read_table(io.BytesIO(body))
    catalog_text = s3.get_object(Bucket=bucket, Key=folder + "catalog.json")["Body"].read().decode()
    assert key not in catalog_text
    assert json.loads(catalog_text)["storage"]["client_side_encryption"] == {
        "keyring": "raw-aes", "key_env": "TRIBUTARY_TEST_ARCHIVE_KEY"}
