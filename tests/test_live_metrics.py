"""Live metrics, for real: a worker copy pushes to the stack's Pushgateway, the stack's Prometheus scrapes it
with honor_labels, and every dashboard panel's query returns data from that Prometheus."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from airflow_run import scratch_databases
from conftest import REPO, _unavailable

pytestmark = [pytest.mark.stack, pytest.mark.worker]

# Panels whose metric needs a running CDC follower (tests of `tributary follow` cover the metric itself).
NEEDS_A_FOLLOWER = {"tributary_follow_lag_seconds"}


def _prometheus() -> str:
    url = os.environ.get("TRIBUTARY_PROMETHEUS")
    if not url:
        _unavailable("TRIBUTARY_PROMETHEUS is not set: start the stack (make stack-up)")
    return url.rstrip("/")


def _query(base: str, expr: str) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    answer = json.loads(urllib.request.urlopen(url, timeout=10).read())
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def _until(check, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1)


def test_a_copy_is_scraped_with_its_own_labels_and_every_panel_has_data(tmp_path, consolidated_uri, monkeypatch):
    import psycopg2

    from tributary import worker

    prometheus = _prometheus()
    gateway = os.environ["TRIBUTARY_PUSHGATEWAY"]
    source = f"live{os.getpid()}"
    with scratch_databases(consolidated_uri, f"tributary_live_{os.getpid()}_src", f"tributary_live_{os.getpid()}_dst") as (src, dst):
        with psycopg2.connect(src) as c, c.cursor() as cur:
            cur.execute("CREATE SCHEMA app; CREATE TABLE app.trades (id bigint PRIMARY KEY, symbol text, qty numeric(18,6));"
                        "INSERT INTO app.trades SELECT g, 'SYM' || (g % 40), g / 3.0 FROM generate_series(1, 200000) g;")
        cfg = tmp_path / "migration.yaml"
        cfg.write_text(f"version: 1\ncontrol: {{connection: live_dst}}\nsources: [{{id: {source}}}]\n"
                       "targets: {consolidated: {connection: live_dst}}\n"
                       f"consolidate:\n  tables:\n    - {{source: {source}, table: app.trades, key: [id]}}\n")
        monkeypatch.setenv("TRIBUTARY_METRICS_PUSH_SECONDS", "1")
        try:
            result = worker.run(["copy", "--config", str(cfg), "--source", source, "--table", "app.trades"],
                                conn_env={f"TRIBUTARY_CONN_{source.upper()}": src, "TRIBUTARY_CONN_LIVE_DST": dst})
            assert result["rows"] == 200000 and result["status"] == "copied"

            # honor_labels: the series carry the worker's job="copy" and its source, not the scrape job's name.
            ours = f'tributary_rows_total{{job="copy", source="{source}", table="app.trades"}}'
            found = _until(lambda: _query(prometheus, ours))
            assert found and float(found[0]["value"][1]) == 200000, found
            rate = _query(prometheus, f'tributary_progress_rows_per_second{{job="copy", source="{source}"}}')
            assert rate and float(rate[0]["value"][1]) > 0

            dashboard = json.loads((REPO / "helm" / "tributary" / "dashboards" / "tributary.json").read_text())
            empty = []
            for panel in dashboard["panels"]:
                for target in panel["targets"]:
                    if any(m in target["expr"] for m in NEEDS_A_FOLLOWER):
                        continue
                    if not _until(lambda: _query(prometheus, target["expr"]), 20):
                        empty.append((panel["title"], target["expr"]))
            assert not empty, f"dashboard panels without data after a copy: {empty}"
        finally:
            urllib.request.urlopen(urllib.request.Request(
                f"http://{gateway}/metrics/job/copy/source/{source}/table/app.trades", method="DELETE"), timeout=10)
