"""`make bench` at smoke size: the harness runs every contender once, on the real local stack.

Checks the harness works (every tool ran, every row is in the JSON, every target got every row, both
diff tools found exactly the planted differences), not the speed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

ROWS = 200_000
CDC_CHANGES = 20_000

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]  # every contender once: minutes

COPY_ROWS = ["raw_copy", "pg_dump", "pgcopydb", "tributary_copy", "tributary_copy_verified", "tributary_copy_dag"]
DIFF_ROWS = ["tributary_diff_identical", "reladiff_identical", "tributary_diff_diff10", "reladiff_diff10"]
STAGE_ROWS = ["copy_zstd", "tributary_stage"]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ, BENCH_ROWS=str(ROWS), BENCH_REPEAT="1", BENCH_RSS_ROWS="100000",
               BENCH_CDC_CHANGES=str(CDC_CHANGES),
               BENCH_RESULTS=str(out), BENCH_PUBLISH="0")
    readme_before = (REPO / "README.md").read_text()
    done = subprocess.run([sys.executable, "-m", "bench"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, f"bench failed:\n{done.stderr[-4000:]}\n{done.stdout[-2000:]}"
    assert (REPO / "README.md").read_text() == readme_before, "BENCH_PUBLISH=0 must leave README.md alone"
    doc = json.loads((out / "latest.json").read_text())
    return doc, (out / "latest.md").read_text(), done.stdout


def test_every_copy_tool_ran_and_every_target_holds_every_row(bench_run):
    doc, _, _ = bench_run
    rows = {r["id"]: r for r in doc["rows"]}
    for key in COPY_ROWS:
        row = rows[key]
        assert row["status"] == "ok", row
        assert len(row["runs"]) == 1 and row["median_seconds"] > 0
        assert row["target_rows"] == [ROWS]
        assert row["ratio_pgcopydb"] is not None and row["ratio_raw"] is not None
    assert rows["pgcopydb"]["ratio_pgcopydb"] == 1.0
    for key in ("tributary_copy", "tributary_copy_verified", "tributary_copy_dag"):
        assert 0 < rows[key]["peak_rss_mb"] < 4096  # measured from the worker's own rusage


def test_both_diff_tools_find_exactly_the_planted_differences(bench_run):
    doc, _, _ = bench_run
    rows = {r["id"]: r for r in doc["rows"]}
    for key in DIFF_ROWS:
        assert rows[key]["status"] == "ok", rows[key]
        expected = 0 if key.endswith("identical") else 10
        assert [d["differences"] for d in rows[key]["details"]] == [expected]
    assert rows["tributary_diff_identical"]["ratio_reladiff"] is not None


def test_stage_and_its_zstd_baseline_ran_and_staged_every_row(bench_run):
    doc, table, _ = bench_run
    rows = {r["id"]: r for r in doc["rows"]}
    for key in STAGE_ROWS:
        row = rows[key]
        assert row["status"] == "ok", row
        assert len(row["runs"]) == 1 and row["median_seconds"] > 0 and row["rows_per_s"] > 0
        assert "| " + row["label"].replace("|", "\\|") + " | " in table  # a pipe in a label is escaped
    (staged,) = rows["tributary_stage"]["details"]
    assert staged["rows"] == ROWS and rows["tributary_stage"]["target_rows"] == [ROWS]
    assert staged["files"] >= 1 and staged["bytes"] > 0 and staged["manifest"].startswith("s3://tributary-bench/")
    assert rows["tributary_stage"]["ratio_zstd"] is not None
    assert 0 < rows["tributary_stage"]["peak_rss_mb"] < 4096
    (compressed,) = rows["copy_zstd"]["details"]
    assert compressed["bytes"] > 0


def test_rss_and_cdc_rows_are_present(bench_run):
    doc, _, _ = bench_run
    rows = {r["id"]: r for r in doc["rows"]}
    cdc = rows["tributary_follow"]  # the harness checked both sides' checksums agree afterwards
    assert cdc["status"] == "ok" and cdc["target_rows"] == [CDC_CHANGES] and cdc["rows_per_s"] > 0, cdc
    (made,) = cdc["details"]
    assert made["inserts"] + made["updates"] + made["deletes"] == CDC_CHANGES and made["status"] == "caught-up"
    for direction in ("cutover", "rollback"):  # from the stack's control schema, if a switch was ever recorded
        freeze = rows[f"{direction}_freeze"]
        assert freeze["status"] == "n/a" or freeze["median_seconds"] > 0, freeze
    assert rows["rss_small"]["status"] == "ok" and rows["rss_small"]["rows"] == 100_000
    assert set(doc["peak_rss_mb_by_rows"]) == {"100000", str(ROWS)}


def test_goals_and_table_are_reported(bench_run):
    doc, table, stdout = bench_run
    goals = {g["id"]: g for g in doc["goals"]}
    assert set(goals) == {"copy_pk_vs_pgcopydb", "copy_pk_vs_raw", "copy_verified_vs_pgcopydb",
                          "diff_identical_vs_reladiff", "diff_10_vs_reladiff", "worker_peak_rss", "cdc_apply",
                          "cutover_freeze", "rollback_freeze"}
    for key, goal in goals.items():
        assert goal["status"] in (("met", "not met", "n/a") if key.endswith("_freeze") else ("met", "not met")), goal
    assert doc["meta"]["rows"] == ROWS and doc["meta"]["repeat"] == 1
    assert "| pgcopydb clone (2 table jobs, 2 index jobs) |" in table
    assert table.strip() in stdout
