"""bench/report.py: medians, ratios and the goal verdicts, from hand-made run records (no stack needed)."""
from __future__ import annotations

from bench import report


def _row(rid: str, kind: str, runs: list[float], rss_mb: float | None = None, rows: int = 1_000_000) -> dict:
    row = {"id": rid, "label": rid, "kind": kind, "rows": rows, "status": "ok", "runs": runs, "details": []}
    if rss_mb is not None:
        row["peak_rss_mb"] = rss_mb
    return row


META = {"rows": 1_000_000, "repeat": 3, "finished_at": "2026-12-06T00:00:00Z", "source_table_bytes": 122e6,
        "machine": {"cpus": 2, "postgresql": "15", "pgcopydb": "0.10", "load_1m": 0.5}}


def _goals(rows: list[dict]) -> dict[str, dict]:
    doc = report.build({r["id"]: r for r in rows}, META)
    return {g["id"]: g for g in doc["goals"]}


def test_goal_below_the_raw_limit_says_it_is_unreachable():
    goals = _goals([_row("raw_copy", "copy", [2.0, 2.1, 1.9]), _row("pgcopydb", "copy", [3.0, 3.2, 2.9]),
                    _row("tributary_copy", "copy", [3.0, 2.9, 3.3], rss_mb=180)])
    copy = goals["copy_pk_vs_pgcopydb"]
    assert copy["value"] == "1.00 ×" and copy["status"] == "not met"
    assert copy["note"] == "unreachable here: the raw COPY pipe itself is 0.67 × pgcopydb"
    assert goals["copy_pk_vs_raw"]["value"] == "1.50 ×" and "note" not in goals["copy_pk_vs_raw"]


def test_a_reachable_goal_that_is_missed_has_no_excuse():
    goals = _goals([_row("raw_copy", "copy", [1.0]), _row("pgcopydb", "copy", [3.0]),
                    _row("tributary_copy", "copy", [2.4])])
    assert goals["copy_pk_vs_pgcopydb"]["status"] == "not met" and "note" not in goals["copy_pk_vs_pgcopydb"]


def test_peak_rss_goal_covers_every_worker_row_including_stage():
    goals = _goals([_row("tributary_copy", "copy", [3.0], rss_mb=180),
                    _row("tributary_stage", "stage", [9.0], rss_mb=312),
                    _row("rss_small", "rss", [1.0], rss_mb=150, rows=100_000)])
    rss = goals["worker_peak_rss"]
    assert rss["status"] == "not met"
    assert rss["value"] == "150 MB at 100,000 rows, 312 MB at 1,000,000 rows"


def test_markdown_shows_the_note_next_to_the_verdict():
    rows = [_row("raw_copy", "copy", [2.0]), _row("pgcopydb", "copy", [3.0]), _row("tributary_copy", "copy", [3.0])]
    table = report.markdown(report.build({r["id"]: r for r in rows}, META))
    assert "| not met (unreachable here: the raw COPY pipe itself is 0.67 × pgcopydb) |" in table


def test_only_load_before_the_first_run_marks_the_machine_as_shared():
    rows = [_row("raw_copy", "copy", [2.0])]
    own_load = dict(META, machine=dict(META["machine"], load_1m_at_start=0.6, load_1m_max=5.2))
    table = report.markdown(report.build({r["id"]: r for r in rows}, own_load))
    assert "load average 0.6 before the first run (up to 5.2 during the runs, mostly their own)" in table
    assert "was shared" not in table
    busy = dict(META, machine=dict(META["machine"], load_1m_at_start=3.1, load_1m_max=6.0))
    assert "**The machine was shared** (1-minute load average 3.1" in report.markdown(
        report.build({r["id"]: r for r in rows}, busy))
