"""Data lineage for real: `airflow dags test` of a worker copy emits OpenLineage events through Airflow's
OpenLineage provider (file transport), with the copy's source table as input and its target table as output."""

from __future__ import annotations

import json
import os
import textwrap
from urllib.parse import urlsplit

import pytest

import airflow_run
from airflow_run import airflow_env, scratch_databases
from conftest import REPO

pytestmark = [pytest.mark.stack, pytest.mark.worker]


def test_a_worker_copy_reports_its_source_and_target_tables_to_openlineage(tmp_path, consolidated_uri):
    import psycopg2

    pid = os.getpid()
    with scratch_databases(consolidated_uri, f"tributary_lin_{pid}_src", f"tributary_lin_{pid}_dst") as (src, dst):
        with psycopg2.connect(src) as c, c.cursor() as cur:
            cur.execute("CREATE SCHEMA app; CREATE TABLE app.trades (id bigint PRIMARY KEY, qty int);"
                        "INSERT INTO app.trades SELECT g, g FROM generate_series(1, 1000) g;")
        cfg = tmp_path / "migration.yaml"
        cfg.write_text("version: 1\ncontrol: {connection: lin_dst}\nsources: [{id: lin_src}]\n"
                       "targets: {consolidated: {connection: lin_dst}}\n"
                       "consolidate:\n  tables:\n    - {source: lin_src, table: app.trades, key: [id]}\n")
        dags = tmp_path / "dags"
        dags.mkdir()
        (dags / "tributary_lineage_probe.py").write_text(textwrap.dedent(f"""
            from airflow.sdk import DAG
            from tributary import worker

            with DAG("tributary_lineage_probe", schedule=None, catchup=False):
                worker.worker_task(task_id="copy", connection_ids=["lin_src", "lin_dst"],
                                   argv=["copy", "--config", {str(cfg)!r}, "--source", "lin_src", "--table", "app.trades"])
        """))
        env = airflow_env(tmp_path, AIRFLOW__CORE__DAGS_FOLDER=str(dags), TRIBUTARY_CONFIG=str(cfg),
                          PYTHONPATH=str(REPO / "dags"), AIRFLOW_CONN_LIN_SRC=src, AIRFLOW_CONN_LIN_DST=dst)
        rc, log = airflow_run.dags_test("tributary_lineage_probe", env, tmp_path)
        assert rc == 0, f"see {log}"

    events = [json.loads(line) for line in (tmp_path / "lineage.jsonl").read_text().splitlines() if line.strip()]
    [done] = [e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "tributary_lineage_probe.copy"]
    s, d = urlsplit(src), urlsplit(dst)
    assert [(i["namespace"], i["name"]) for i in done["inputs"]] == [
        (f"postgres://{s.hostname}:{s.port}", f"{s.path.lstrip('/')}.app.trades")]
    assert [(o["namespace"], o["name"]) for o in done["outputs"]] == [
        (f"postgres://{d.hostname}:{d.port}", f"{d.path.lstrip('/')}.app.trades")]
    assert s.password not in json.dumps(events)  # a connection's secret never reaches a lineage event
