"""tributary_warehouse: imports cleanly, has the promised shape, params, schedule and outlet; no work at parse time."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tributary import config, warehouse
from tributary.timetable import LowTradingWindowTimetable

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS), include_examples=False)
    assert bag.import_errors == {}
    return bag.dags["tributary_warehouse"]


def test_task_ids_and_dependencies(dag):
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    sources = config.load().source_ids
    per_source = ("stage_args", "stage", "load_args", "load", "verify", "gx_gate")  # one mapped group per source
    assert set(up) == {"select_tables", "partition", "outcome", "report", *(f"tables_{s}" for s in sources),
                       *(f"table_{s}.{t}" for s in sources for t in per_source)}
    for s in sources:
        g = f"table_{s}"
        assert up[f"tables_{s}"] == {"select_tables"}
        assert {f"tables_{s}", "partition"} <= up[f"{g}.stage_args"]
        assert up[f"{g}.stage"] == {f"{g}.stage_args"}
        assert f"{g}.stage" in up[f"{g}.load_args"] and up[f"{g}.load"] == {f"{g}.load_args"}
        assert {f"{g}.stage", f"{g}.load"} <= up[f"{g}.verify"]  # source figures vs warehouse figures
        assert f"{g}.verify" in up[f"{g}.gx_gate"]
        assert f"{g}.gx_gate" in up["outcome"]
    assert up["report"] == {"outcome"}  # report.add_to: the run's HTML report, last


def test_schedule_is_the_low_trading_window_timetable_from_config(dag):
    cfg = config.load()
    assert isinstance(dag.timetable, LowTradingWindowTimetable)
    assert dag.timetable == LowTradingWindowTimetable.from_config(cfg.warehouse_schedule)
    assert dag.timetable.exchange == cfg.warehouse_schedule["exchange"]
    assert dag.timetable.after_close == cfg.warehouse_schedule["window"]["after_close"]
    assert dag.catchup is False and dag.max_active_runs == 1


def test_params_outlet_and_no_retry_on_verification(dag):
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params == {"dry_run": False, "table_filter": "*", "full_reload": False, "mode": "partition",
                      "load_from": ""}
    outcome = dag.get_task("outcome")
    assert [a.uri.rstrip("/") for a in outcome.outlets] == ["tributary://warehouse"]
    assert outcome.trigger_rule == "all_done"
    for source in config.load().source_ids:
        assert dag.get_task(f"table_{source}.verify").retries == 0
        assert dag.get_task(f"table_{source}.gx_gate").retries == 0


def test_dag_serializes_with_its_timetable(dag):
    """The scheduler only ever sees the serialized DAG: the custom timetable must survive it."""
    from airflow.serialization.serialized_objects import DagSerialization

    restored = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    assert isinstance(restored.timetable, LowTradingWindowTimetable)
    assert restored.timetable.serialize() == dag.timetable.serialize()


def test_tables_come_from_the_plan_with_config_overrides():
    cfg = config.load()
    plan = {"tables": [
        {"instance": "src_eu", "schema": "market", "table": "ticks", "class": "broker", "key": [],
         "destination": {"kind": "warehouse", "table": "market.ticks"}, "skip": False},
        {"instance": "src_us", "schema": "market", "table": "fills", "class": "broker", "key": ["exec_id"],
         "destination": {"kind": "warehouse", "table": "market.fills"}, "skip": False},
        {"instance": "src_eu", "schema": "market", "table": "old_feed", "class": "broker", "key": [],
         "destination": {"kind": "warehouse", "table": "market.old_feed"}, "skip": True},
        {"instance": "src_eu", "schema": "public", "table": "users", "class": "application", "key": ["id"],
         "destination": {"kind": "consolidated", "table": "public.users"}, "skip": False},
    ]}
    jobs = {(j["source"], j["table"]): j for j in warehouse.tables_from_plan(plan, cfg)}
    assert set(jobs) == {("src_eu", "market.ticks"), ("src_us", "market.fills")}
    assert jobs[("src_us", "market.fills")]["target_table"] == "market.fills_us"  # config override
    assert jobs[("src_eu", "market.ticks")]["partition_column"] == "ts"


def test_two_sources_into_one_warehouse_table_are_refused():
    from airflow.sdk.exceptions import AirflowFailException

    jobs = [{"source": "a", "table": "market.fills", "target_table": "market.fills"},
            {"source": "b", "table": "market.fills", "target_table": "market.fills"}]
    with pytest.raises(AirflowFailException, match="both load market.fills"):
        warehouse._check_distinct_targets(jobs)


def test_outcome_table_and_result_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_STATE", str(tmp_path))
    rows = [{"partition": "2026-10-27", "table": "market.ticks", "source": "src_eu", "target_table": "market.ticks",
             "rows": 1087, "source_checksum": "1a2b", "target_checksum": "1a2b", "verified": True}]
    part = {"partition": "2026-10-27", "session": "2026-10-27", "from": "2026-10-26T21:30:00+00:00",
            "to": "2026-10-27T21:30:00+00:00", "exchange": "XNYS"}
    path = warehouse.write_result(rows, part, {"run_id": "r1"})
    assert path == tmp_path / "reports" / "warehouse" / "2026-10-27.json"
    assert json.loads(path.read_text())["all_verified"] is True
    text = warehouse.render(rows)
    assert text.splitlines()[0].split()[:2] == ["PARTITION", "TABLE"] and "yes" in text.splitlines()[1]
    assert warehouse.main(["2026-10-27"]) == 0
    assert warehouse.main(["2026-10-28"]) == 1  # no result for that partition


def test_a_series_is_every_trading_day_with_the_interval_its_daily_run_would_load():
    """load_from: the initial load's days are exactly the scheduled runs' days (weekend folded into Monday)."""
    schedule = LowTradingWindowTimetable()
    series = warehouse.session_series(schedule, dt.date(2026, 10, 24), dt.date(2026, 10, 28))
    assert [p["partition"] for p in series] == ["2026-10-26", "2026-10-27", "2026-10-28"]
    assert series[0]["from"] == "2026-10-23T21:30:00+00:00"  # Friday's close: Sat/Sun rows belong to Monday
    assert all(a["to"] == b["from"] for a, b in zip(series, series[1:]))  # contiguous, nothing missed
    for p in series:
        interval = schedule.data_interval(dt.date.fromisoformat(p["partition"]))
        assert (p["from"], p["to"]) == (interval.start.isoformat(), interval.end.isoformat())


def _argv_with(monkeypatch, fn, *args):
    monkeypatch.setattr(warehouse, "get_current_context", lambda: {"run_id": "r1"})
    return fn(*args)


def test_series_and_incremental_worker_argv(monkeypatch):
    job = {"source": "src_eu", "table": "market.vendor_feed_quotes", "target_table": "market.vendor_feed_quotes",
           "key": ["vendor", "symbol", "ts"], "partition_column": "ts", "watermark_column": "received_at"}
    days = [{"partition": "2026-10-26", "from": "2026-10-23T21:30:00+00:00", "to": "2026-10-26T21:30:00+00:00"},
            {"partition": "2026-10-27", "from": "2026-10-26T21:30:00+00:00", "to": "2026-10-27T21:30:00+00:00"}]
    part = {"partition": "2026-10-26..2026-10-27", "from": days[0]["from"], "to": days[1]["to"], "series": days,
            "mode": "partition"}
    argv = _argv_with(monkeypatch, warehouse.stage_argv, job, part)
    assert argv[argv.index("--prefix") + 1].endswith("/src_eu/market.vendor_feed_quotes")  # + /<day> per partition
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--partition"] == [
        "2026-10-26=2026-10-23T21:30:00+00:00/2026-10-26T21:30:00+00:00",
        "2026-10-27=2026-10-26T21:30:00+00:00/2026-10-27T21:30:00+00:00"]
    assert "--from" not in argv
    staged = {"partitions": [{"name": d["partition"], "manifest": f"s3://b/{d['partition']}/manifest"} for d in days]}
    argv = _argv_with(monkeypatch, warehouse.load_argv, job, part, staged)
    pairs = [(argv[i + 1], argv[i + 3]) for i, a in enumerate(argv) if a == "--manifest"]
    assert pairs == [("s3://b/2026-10-26/manifest", "2026-10-26=2026-10-23T21:30:00+00:00/2026-10-26T21:30:00+00:00"),
                     ("s3://b/2026-10-27/manifest", "2026-10-27=2026-10-26T21:30:00+00:00/2026-10-27T21:30:00+00:00")]

    inc = {"partition": "2026-10-27", "from": days[1]["from"], "to": days[1]["to"], "series": None,
           "mode": "incremental"}
    argv = _argv_with(monkeypatch, warehouse.stage_argv, job, inc)
    assert "--incremental" in argv and "--from" not in argv
    assert argv[argv.index("--target-table") + 1] == "market.vendor_feed_quotes"
    argv = _argv_with(monkeypatch, warehouse.load_argv, job, inc, {"manifest": "s3://b/inc/manifest"})
    assert "--incremental" in argv and "--from" not in argv and "--full-reload" not in argv
    # a table without a watermark column loads the run's trading day even in mode incremental
    plain = {**job, "watermark_column": None}
    argv = _argv_with(monkeypatch, warehouse.stage_argv, plain, inc)
    assert "--incremental" not in argv and argv[argv.index("--from") + 1] == days[1]["from"]


def test_parsing_touches_no_database_and_starts_no_process():
    """Parse the DAG file with sockets and subprocesses booby-trapped (the calendar is not built either)."""
    probe = f"""import sys; sys.path.insert(0, {str(DAGS)!r})
import socket, subprocess, runpy
dag_file = {str(DAGS / 'tributary_warehouse.py')!r}
runpy.run_path(dag_file)
def boom(*a, **k): raise SystemExit("work at parse time: " + repr(a)[:200])
socket.socket.connect = boom
subprocess.Popen.__init__ = boom
g = runpy.run_path(dag_file)
from tributary import timetable
print(len(g['dag'].tasks), timetable._calendar.cache_info().currsize)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    # incl. the report task; per source (3): tables_<source> and its group's 6 tasks
    assert out.stdout.strip().splitlines()[-1] == "25 0"


def test_config_tables_carry_the_watermark_column_incremental_mode_needs():
    jobs = {(j["source"], j["table"]): j for j in config.load().warehouse_tables()}
    quotes = jobs[("src_eu", "market.vendor_feed_quotes")]
    assert quotes["watermark_column"] == "received_at"
    assert warehouse.incremental(quotes, {"mode": "incremental"})
    assert not warehouse.incremental(quotes, {"mode": "partition"})
    assert not warehouse.incremental(jobs[("src_eu", "market.ticks")], {"mode": "incremental"})  # no watermark


def test_a_table_that_failed_to_verify_keeps_its_source_checksum_in_the_outcome(monkeypatch):
    """The outcome row of a table whose load did not verify still shows both sides' figures (the source's
    checksum was lost to a comment that swallowed it)."""
    xcoms = {"stage": {"rows": 1087, "checksum": "1a2b", "files": ["a.parquet"], "manifest": "m.json"},
             "load": {"rows": 1087, "checksum": "ffff"}, "verify": None, "gx_gate": None}

    class TaskInstance:
        def xcom_pull(self, task_ids, map_indexes, default=None):
            return xcoms[task_ids.split(".")[-1]]

    monkeypatch.setattr(warehouse, "get_current_context", lambda: {"ti": TaskInstance(), "params": {}})
    job = {"table": "market.ticks", "source": "src_eu", "target_table": "market.ticks"}
    [row] = warehouse.summarize([job], {"partition": "2026-10-27"})
    assert row["source_checksum"] == "1a2b" and row["target_checksum"] == "ffff"
    assert row["rows"] == 1087 and row["verified"] is False


def test_series_totals_read_each_tables_stage_from_its_sources_group(monkeypatch):
    """Each source's tables run in that source's mapped group (one pool per source): the totals of a series must
    pull a table's stage from (its source's group, its index there), not from a flat index over all tables."""
    jobs = [{"source": s, "table": t, "target_table": t} for s, t in
            [("src_a", "market.ticks"), ("src_b", "market.ticks"), ("src_a", "market.bars")]]
    staged = {(f"{warehouse.group(s)}.stage", i): {"rows": n, "checksum": f"c{n}"}
              for (s, i), n in [(("src_a", 0), 10), (("src_b", 0), 20), (("src_a", 1), 30)]}

    class Ti:
        def xcom_pull(self, task_ids, map_indexes, default=None):
            return staged.get((task_ids, map_indexes), default)

    monkeypatch.setattr(warehouse, "get_current_context", lambda: {"ti": Ti()})
    totals = warehouse.series_totals(jobs, rows=[])
    assert [(t["source"], t["table"], t["rows"]) for t in totals] == [
        ("src_a", "market.ticks", 10), ("src_b", "market.ticks", 20), ("src_a", "market.bars", 30)]
