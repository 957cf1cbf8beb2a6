"""End to end: a GX gate failure fails the real `airflow dags test tributary_consolidate` run, with the reason.

The source has a NULL in the key column the config names (no PK constraint to stop it): copy and checksums
agree (the target holds exactly what the source has), so only the gate can catch it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import airflow_run
from airflow_run import airflow_env
from test_e2e_consolidate import scratch_pair  # noqa: F401  (fixture: source + target scratch databases)

# make test's real run of tributary_consolidate (one table: copy, checksums, verify, gate, report).
pytestmark = [pytest.mark.stack, pytest.mark.worker]


def test_null_key_on_the_target_fails_the_gate_and_the_dag(tmp_path, scratch_pair):  # noqa: F811
    import psycopg2

    src, dst = scratch_pair
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("CREATE SCHEMA app; CREATE TABLE app.orders (order_id int, user_id bigint, placed timestamptz);"
                    "INSERT INTO app.orders SELECT g, g % 50, timestamptz '2026-01-01' + g * interval '1 min'"
                    " FROM generate_series(1, 300) g;"
                    "INSERT INTO app.orders VALUES (NULL, 7, now())")
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: e2e_dst}\nsources: [{id: e2e_src}]\ntargets: {consolidated: {connection: e2e_dst}}\n"
        "consolidate:\n  tables:\n    - {source: e2e_src, table: app.orders, key: [order_id]}\n"
    )
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(cfg), AIRFLOW_CONN_E2E_SRC=src, AIRFLOW_CONN_E2E_DST=dst)

    rc, log = airflow_run.dags_test("tributary_consolidate", env, tmp_path)
    text = Path(log).read_text()
    assert rc != 0, f"the DAG run should have failed, see {log}"
    reason = "expect_column_values_to_not_be_null(order_id): 1 unexpected of 301"
    assert f"GX gate FAILED for app.orders: {reason}" in text, log  # the gate task's own error
    assert "not verified: app.orders" in text and f"GX gate failed: {reason}" in text, log  # the DAG's end
    assert "data_docs/local_site/index.html" in text
    # the report task still ran, left the page, and kept the run failed
    page = Path(env["TRIBUTARY_STATE"]) / "reports" / "migration-report.html"
    assert page.is_file() and f"migration report: {page}" in text

    report = json.loads((Path(env["TRIBUTARY_STATE"]) / "reports" / "consolidate-outcome.json").read_text())
    (row,) = report["tables"]
    assert report["all_verified"] is False and row["verified"] == "gate failed"
    assert row["sources"][0]["checksum"] == row["target_checksum"]  # the data moved faithfully; the gate judged it
    assert row["gate"]["failures"] == [reason]
