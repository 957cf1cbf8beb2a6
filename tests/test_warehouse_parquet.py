"""The staged Parquet files, read by an independent reader: pyarrow with its own S3 client, against the
stack's real S3Proxy. Same row count, same values, and the manifest lists exactly the files written."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import subprocess
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import WORKER

pytestmark = [pytest.mark.stack, pytest.mark.worker]

# Recent AWS SDKs ask for checksums on every request; S3Proxy answers those headers with 501
# (docs/contracts-local.md). Must be set before pyarrow initialises its S3 client.
os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")

DAY_FROM = "2026-06-01T00:00:00+00:00"
DAY_TO = "2026-06-02T00:00:00+00:00"


def s3_filesystem():
    import pyarrow.fs as pafs

    uri = urlsplit(os.environ["TRIBUTARY_CONN_S3"])
    query = parse_qs(uri.query)
    return pafs.S3FileSystem(
        access_key=unquote(uri.username), secret_key=unquote(uri.password),
        endpoint_override=f"{uri.hostname}:{uri.port}", scheme=query.get("scheme", ["https"])[0],
        region=query.get("region", ["us-east-1"])[0], force_virtual_addressing=False,
    )


@pytest.fixture(params=["postgres", "redshift"])
def dialect(request):
    """targets.warehouse.dialect: the redshift dialect shapes its files for Redshift's COPY (Snappy, FIXED decimals)."""
    return request.param


@pytest.fixture
def staged(tmp_path, scratch_db, psql, dialect):
    psql("""
        CREATE SCHEMA market;
        CREATE TABLE market.fills (
          exec_id text PRIMARY KEY, symbol text NOT NULL, qty numeric(18,4) NOT NULL, price numeric(30,10),
          ts timestamptz NOT NULL, settle_date date, is_buy boolean, n bigint, ratio double precision,
          attrs jsonb, note varchar(20));
        INSERT INTO market.fills
        SELECT 'E' || i, (ARRAY['AAPL','MSFT','BTC-USD'])[1 + i % 3], (i % 97 + 1) * 1.2500,
               CASE WHEN i % 11 = 0 THEN NULL ELSE 12345678901234567890.0123456789 / (i + 1) END,
               '2026-05-31 22:00:00.000001+00'::timestamptz + i * interval '37 seconds', date '2026-06-03',
               i % 2 = 0, i::bigint * 1000003000, i / 7.0, jsonb_build_object('venue', 'XNAS', 'i', i), 'héllo ' || i
        FROM generate_series(0, 2999) i;
    """)
    bucket = f"test-pyarrow-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "migration.yaml"
    config.write_text(f"""
version: 1
project: test
control: {{connection: consolidated, schema: tributary}}
sources: [{{id: src_eu}}]
targets:
  consolidated: {{connection: consolidated}}
  warehouse:
    connection: warehouse
    dialect: {dialect}
    iam_role: arn:aws:iam::123456789012:role/copy
    staging_connection: s3
    staging_bucket: {bucket}
    slices: 2
    multipart_part_mb: 5
    tables:
      - {{source: src_eu, table: market.fills, partition_column: ts}}
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_CONN_")}
    env.update(TRIBUTARY_CONN_SRC_EU=scratch_db, TRIBUTARY_CONN_CONSOLIDATED=scratch_db,
               TRIBUTARY_CONN_WAREHOUSE=scratch_db, TRIBUTARY_CONN_S3=os.environ["TRIBUTARY_CONN_S3"])
    proc = subprocess.run([str(WORKER), "stage", "--config", str(config), "--source", "src_eu", "--table",
                           "market.fills", "--from", DAY_FROM, "--to", DAY_TO, "--prefix", "t/fills/day1"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    yield json.loads(proc.stdout.strip().splitlines()[-1]), bucket
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    fs = s3_filesystem()  # one DELETE per object: S3Proxy's filesystem backend stalls on DeleteObjects
    for url in [f["url"] for f in result["files"]] + [result["manifest"], result["receipt"]]:
        fs.delete_file(url.removeprefix("s3://"))


def test_pyarrow_reads_the_staged_files_with_the_same_rows_and_values(staged, scratch_db, dialect):
    import psycopg2
    import pyarrow as pa
    import pyarrow.parquet as pq

    result, bucket = staged
    fs = s3_filesystem()
    tables = [pq.read_table(f["url"].removeprefix("s3://"), filesystem=fs) for f in result["files"]]
    assert [t.num_rows for t in tables] == [f["rows"] for f in result["files"]]
    table = pa.concat_tables(tables)
    assert table.num_rows == result["rows"]

    schema = table.schema
    assert schema.field("qty").type == pa.decimal128(18, 4)
    assert schema.field("price").type == pa.decimal128(30, 10)
    assert schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert schema.field("settle_date").type == pa.date32()
    assert schema.field("is_buy").type == pa.bool_()
    assert schema.field("n").type == pa.int64()
    assert schema.field("ratio").type == pa.float64()
    attrs = schema.field("attrs").type  # JSON-annotated: newer pyarrow reads it as the arrow.json extension
    assert getattr(attrs, "storage_type", attrs) == pa.string()
    codecs = {pq.ParquetFile(f["url"].removeprefix("s3://"), filesystem=fs).metadata.row_group(0).column(0).compression
              for f in result["files"] if f["rows"]}
    # Redshift's COPY reads Parquet through Spectrum, whose documented codecs do not include zstd
    assert codecs == ({"SNAPPY"} if dialect == "redshift" else {"ZSTD"})
    physical = {pq.ParquetFile(f["url"].removeprefix("s3://"), filesystem=fs).schema.column(i).physical_type
                for f in result["files"][:1] for i in (2, 3)}  # qty numeric(18,4), price numeric(30,10)
    assert physical == ({"FIXED_LEN_BYTE_ARRAY"} if dialect == "redshift" else {"INT64", "FIXED_LEN_BYTE_ARRAY"})

    with psycopg2.connect(scratch_db) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SELECT exec_id, symbol, qty, price, ts, settle_date, is_buy, n, ratio, attrs::text, note"
                    " FROM market.fills WHERE ts >= %s AND ts < %s ORDER BY exec_id", (DAY_FROM, DAY_TO))
        expected = cur.fetchall()
    got = sorted(zip(*(table.column(c).to_pylist() for c in
                       ("exec_id", "symbol", "qty", "price", "ts", "settle_date", "is_buy", "n", "ratio", "attrs", "note"))))
    assert len(got) == len(expected) > 0
    for g, e in zip(got, expected):
        assert g[:4] == e[:4]  # text and exact decimals
        assert isinstance(g[3], (decimal.Decimal, type(None)))
        assert g[4] == e[4].astimezone(dt.timezone.utc)  # microseconds, UTC
        assert g[5:9] == e[5:9]
        assert json.loads(g[9]) == json.loads(e[9])
        assert g[10] == e[10]


def test_the_manifest_lists_exactly_the_files_written(staged):
    import pyarrow.fs as pafs

    result, bucket = staged
    fs = s3_filesystem()
    with fs.open_input_stream(result["manifest"].removeprefix("s3://")) as f:
        manifest = json.loads(f.read())
    entries = {e["url"]: e for e in manifest["entries"]}
    assert set(entries) == {f["url"] for f in result["files"]}
    assert len(entries) % 2 == 0, "a multiple of the slices"
    stored = {f"s3://{i.path}": i.size for i in fs.get_file_info(pafs.FileSelector(f"{bucket}/t/fills/day1"))}
    assert set(stored) == set(entries) | {result["manifest"], result["receipt"]}
    for url, e in entries.items():
        assert e["mandatory"] is True and e["meta"]["content_length"] == stored[url]
