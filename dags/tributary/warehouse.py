"""Phase 3 (``tributary_warehouse``): the task callables the thin DAG file wires together.

One run = one trading day (the run's data interval, see timetable.py). Per broker table:
``stage_args`` -> ``stage`` (worker: the partition
from the source to Parquet on S3 with a manifest; the source database counts and checksums the same
rows) -> ``load`` (worker: manifest -> staging table -> delete-insert of exactly that partition, in
one transaction; the warehouse counts and checksums what landed) -> ``verify`` (XCom vs XCom) ->
``gx_gate``. Then ``outcome`` writes one result file per partition under the state folder.

``full_reload`` stages and loads whole tables instead of the run's partition. A dry run maps no
table at all (``select_tables`` hands the group an empty list) and reports what it would do.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from tributary import config, connections, gate, names, paths, pushgateway, verify as verification, worker
from tributary.timetable import LowTradingWindowTimetable

log = logging.getLogger(__name__)

GROUP = "table"  # table_<source>.stage, table_<source>.load, ...: one mapped group per source (its pool)


def group(source: str) -> str:
    """The mapped group loading one source's tables (its own group, so its stage runs in the source's pool)."""
    return f"{GROUP}_{source}"
SUITE_TEMPLATE = "broker_table"
COLUMNS = ("PARTITION", "TABLE", "SOURCE", "TARGET", "ROWS", "SOURCE CHECKSUM", "TARGET CHECKSUM", "VERIFIED")


def results_dir() -> Path:
    """One JSON file per partition (trading day): what the demo prints and the report reads."""
    return paths.state_dir() / "reports" / "warehouse"


def plan_path() -> Path:
    return paths.state_dir() / "plan" / "plan.json"


# --------------------------------------------------------------------------------------------
# which tables


def tables_from_plan(plan: dict[str, Any], cfg: config.MigrationConfig) -> list[dict[str, Any]]:
    """The plan's broker tables bound for the warehouse; ``targets.warehouse.tables`` entries override them."""
    from tributary.plan import table_rules

    overrides = {(t["source"], t["table"]): t for t in cfg.warehouse_tables()}
    jobs = []
    for t in plan.get("tables", []):
        dest = t.get("destination") or {}
        if t.get("class") != "broker" or dest.get("kind") != "warehouse" or t.get("skip"):
            continue
        table = names.qualified(t["schema"], t["table"])
        rules = table_rules(cfg, f"{t['instance']}.{table}")
        job = {"source": t["instance"], "table": table, "target_table": dest["table"],
               "key": list(rules.get("key") or t.get("key") or []), "partition_column": rules.get("partition_column")}
        override = overrides.get((job["source"], table))
        if override:
            job.update({k: v for k, v in override.items() if v not in (None, [])})
        jobs.append(job)
    return jobs


def _check_distinct_targets(jobs: list[dict[str, Any]]) -> None:
    """Two sources loading the same warehouse table would delete each other's partition on reload."""
    seen: dict[str, str] = {}
    for j in jobs:
        name = f"{j['source']}.{j['table']}"
        if j["target_table"] in seen:
            raise AirflowFailException(
                f"{name} and {seen[j['target_table']]} both load {j['target_table']}: give one a target_table "
                "in targets.warehouse.tables of migration.yaml"
            )
        seen[j["target_table"]] = name


def chosen_tables() -> list[dict[str, Any]]:
    """The broker tables of this run: from the plan (else config), narrowed by ``table_filter``."""
    ctx = get_current_context()
    cfg = config.load()
    if plan_path().exists():
        jobs = tables_from_plan(json.loads(plan_path().read_text()), cfg)
        origin = str(plan_path())
    else:
        jobs, origin = cfg.warehouse_tables(), "targets.warehouse.tables"
    pattern = ctx["params"].get("table_filter")
    chosen = [j for j in jobs if config.matches(f"{j['source']}.{j['table']}", pattern)]
    if not chosen:
        names = ", ".join(f"{j['source']}.{j['table']}" for j in jobs) or "none"
        raise AirflowFailException(f"table_filter {pattern!r} matches no broker table (from {origin}: {names})")
    _check_distinct_targets(chosen)
    log.info("broker tables in this run (from %s): %s", origin, ", ".join(f"{j['source']}.{j['table']}" for j in chosen))
    return chosen


def select_tables() -> list[dict[str, Any]]:
    """What the mapped group expands over: the chosen tables, or none on a dry run (zero mapped
    tasks, so a dry run cannot move anything; ``outcome`` still reports what it would do)."""
    chosen = chosen_tables()
    if get_current_context()["params"].get("dry_run"):
        for j in chosen:
            log.info("dry run: would stage and load %s.%s -> %s", j["source"], j["table"], j["target_table"])
        return []
    return chosen


# --------------------------------------------------------------------------------------------
# which partition


def _date_param(params: dict[str, Any], name: str) -> dt.date | None:
    text = str(params.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise AirflowFailException(f"Param {name} {text!r} is not a date (YYYY-MM-DD)") from None


def session_series(schedule: LowTradingWindowTimetable, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """Every trading day from the first session on or after ``first`` up to the session ``last``, each with
    the data interval a daily run of it would load (contiguous: weekends fold into the next session)."""
    out, session = [], schedule.first_session_on_or_after(first)
    while session <= last:
        interval = schedule.data_interval(session)
        out.append({"partition": session.isoformat(), "session": session.isoformat(),
                    "from": interval.start.isoformat(), "to": interval.end.isoformat()})
        session = schedule.next_session(session)
    return out


def partition() -> dict[str, Any]:
    """This run's partition: the trading day of its data interval (or the whole table on full reload).

    With ``load_from`` (an initial load or a catch-up): every trading day from that date up to this run's,
    as a ``series`` of daily partitions; each table's stage and load work through them in one worker call
    each, and every day is its own verified partition with its own ledger row and result file."""
    ctx = get_current_context()
    cfg = config.load()
    schedule = LowTradingWindowTimetable.from_config(cfg.warehouse_schedule)
    start, end = ctx.get("data_interval_start"), ctx.get("data_interval_end")
    if start is None or end is None:  # a manual run without a logical date: the latest complete trading day
        interval = schedule.infer_manual_data_interval(run_after=ctx["dag_run"].run_after)
        start, end = interval.start, interval.end
    session = schedule.session_of(end)
    full = bool(ctx["params"].get("full_reload"))
    load_from = _date_param(ctx["params"], "load_from")
    mode = ctx["params"].get("mode") or "partition"
    if mode not in ("partition", "incremental"):
        raise AirflowFailException(f"Param mode {mode!r} is not partition or incremental")
    if mode == "incremental" and (full or load_from is not None):
        raise AirflowFailException("mode incremental upserts the rows past each table's watermark: it takes no "
                                   "full_reload or load_from")
    part = {
        "partition": "full" if full else session.isoformat(),
        "session": session.isoformat(),
        "from": None if full else start.isoformat(),
        "to": None if full else end.isoformat(),
        "exchange": schedule.exchange,
        "series": None,
        "mode": mode,
    }
    if load_from is not None:
        if full:
            raise AirflowFailException("full_reload and load_from exclude each other: the whole table in one "
                                       "partition, or every trading day from load_from as its own partition")
        series = session_series(schedule, load_from, session)
        if not series:
            raise AirflowFailException(f"load_from {load_from} is after this run's trading day {session}")
        part.update({"partition": f"{series[0]['partition']}..{series[-1]['partition']}",
                     "from": series[0]["from"], "series": series})
        log.info("partition series: %d trading days, %s to %s", len(series), series[0]["partition"], session)
    else:
        log.info("partition: %s", part)
    return part


# --------------------------------------------------------------------------------------------
# per table


def _staging_prefix(cfg: config.MigrationConfig, job: dict[str, Any], part: dict[str, Any]) -> str:
    """``<staging_prefix>/<source>/<table>/<trading day>``; a series stages each day under the same key a
    daily run of that day uses (the worker appends the day's name to the table's prefix)."""
    base = (cfg.warehouse.get("staging_prefix") or "warehouse").strip("/")
    table_prefix = f"{base}/{job['source']}/{names.key_segment(job['table'])}"
    if incremental(job, part):
        return f"{table_prefix}/incremental"
    return table_prefix if part.get("series") else f"{table_prefix}/{part['partition']}"


def incremental(job: dict[str, Any], part: dict[str, Any]) -> bool:
    """In mode ``incremental``, a table with a watermark column and a key is upserted from its watermark on;
    a table without them still loads the run's trading day (there is nothing to be incremental on)."""
    return part.get("mode") == "incremental" and bool(job.get("watermark_column")) and bool(job.get("key"))


def _window(p: dict[str, Any]) -> str:
    return f"{p['partition']}={p['from']}/{p['to']}"


def stage_argv(job: dict[str, Any], part: dict[str, Any]) -> list[str]:
    """Worker argv for ``stage``: this table's rows inside the partition's bounds, to S3."""
    cfg = config.load()
    argv = [
        "stage",
        "--config", worker.config_path_for_worker(),
        "--source", job["source"],
        "--table", job["table"],
        "--prefix", _staging_prefix(cfg, job, part),
        "--run-id", get_current_context()["run_id"],
    ]
    if incremental(job, part):
        argv += ["--incremental", "--target-table", job["target_table"]]
    elif part.get("series"):
        for p in part["series"]:
            argv += ["--partition", _window(p)]
    elif part["from"] is not None:
        argv += ["--from", part["from"], "--to", part["to"]]
    if job.get("partition_column"):
        argv += ["--partition-column", job["partition_column"]]
    return argv


def load_argv(job: dict[str, Any], part: dict[str, Any], staged: dict[str, Any]) -> list[str]:
    """Worker argv for ``load``: the manifest ``stage`` wrote, into the partition's bounds on the target."""
    argv = [
        "load",
        "--config", worker.config_path_for_worker(),
        "--source", job["source"],
        "--table", job["table"],
        "--target-table", job["target_table"],
        "--run-id", get_current_context()["run_id"],
    ]
    if incremental(job, part):
        if not staged.get("manifest"):
            raise AirflowFailException(f"{job['source']}.{job['table']}: stage returned no manifest ({staged!r})")
        argv += ["--manifest", staged["manifest"], "--incremental"]
    elif part.get("series"):
        manifests = {p.get("name"): p.get("manifest") for p in staged.get("partitions") or []}
        for p in part["series"]:
            if not manifests.get(p["partition"]):
                raise AirflowFailException(f"{job['source']}.{job['table']}: stage returned no manifest for "
                                           f"{p['partition']}")
            argv += ["--manifest", manifests[p["partition"]], "--partition", _window(p)]
    elif not staged.get("manifest"):
        raise AirflowFailException(f"{job['source']}.{job['table']}: stage returned no manifest ({staged!r})")
    elif part["from"] is not None:
        argv += ["--manifest", staged["manifest"], "--from", part["from"], "--to", part["to"]]
    else:
        argv += ["--manifest", staged["manifest"], "--full-reload"]
    if job.get("partition_column"):
        argv += ["--partition-column", job["partition_column"]]
    return argv


def verify(job: dict[str, Any], part: dict[str, Any], staged: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    """The source's figures (from stage) against the warehouse's (from load), both from XCom; for a series,
    day by day (each day's row lands in ``partitions``)."""
    if part.get("series"):
        loaded_by_name = {p.get("name"): p for p in loaded.get("partitions") or []}
        days = []
        for p in staged.get("partitions") or []:
            row = verification.compare(job, p, loaded_by_name.get(p.get("name")) or {})
            days.append({**row, "partition": p["name"]})
        if len(days) != len(part["series"]):
            raise AirflowFailException(f"{job['source']}.{job['table']}: {len(days)} partitions staged, "
                                       f"{len(part['series'])} asked for")
        total = verification.compare(job, staged, loaded)
        log.info("%s.%s: %d trading days verified, %s rows, checksum %s; the source table holds %s rows, %s outside "
                 "the series", job["source"], job["table"], len(days), total["rows"], total["target_checksum"],
                 staged.get("table_rows"), staged.get("rows_outside"))
        return {**total, "partition": part["partition"], "partitions": days,
                "table_rows": staged.get("table_rows"), "rows_outside": staged.get("rows_outside")}
    row = verification.compare(job, staged, loaded)
    row["partition"] = part["partition"]
    touched = loaded.get("touched")
    if touched:  # incremental: the delta landed (above), and the range it touched equals the source's
        row.update({"mode": "incremental", "watermark": loaded.get("watermark"), "touched": touched})
        if (touched["rows"], touched["checksum"]) != (touched["source_rows"], touched["source_checksum"]):
            raise AirflowFailException(
                f"{job['source']}.{job['table']}: the rows the delta touched ({touched['column']} "
                f"{touched['from']} .. {touched['to']}) differ: warehouse {touched['rows']} / {touched['checksum']}, "
                f"source {touched['source_rows']} / {touched['source_checksum']}")
        log.info("%s.%s incremental up to %s: %s rows upserted and verified; the %s rows they touched re-verified",
                 job["source"], job["table"], loaded.get("watermark"), row["rows"], touched["rows"])
        return row
    log.info("%s.%s partition %s verified: %s rows, checksum %s", job["source"], job["table"], part["partition"],
             row["rows"], row["target_checksum"])
    return row


def gx_gate(job: dict[str, Any], verified: dict[str, Any]) -> dict[str, Any]:
    """GX on the warehouse table: keys not null and unique (a reload that duplicated rows fails here),
    at least the partition's rows present."""
    cfg = config.load()
    conn = cfg.warehouse["connection"]
    uri = connections.worker_env([conn])[connections.env_name(conn)]
    ctx = get_current_context()
    return gate.check(
        connection_uri=uri,
        table=job["target_table"],
        key=job.get("key") or [],
        expected_rows=int(verified["rows"]),
        suite_template=SUITE_TEMPLATE,
        destination="warehouse",  # suite warehouse.<table>: its generated and overlay layers apply
        run_name=re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{ctx['dag'].dag_id}__{ctx['run_id']}__{job['target_table']}"),
    )


# --------------------------------------------------------------------------------------------
# outcome


def _pull(ti, task: str, where: tuple[str, int]):
    source, index = where
    return ti.xcom_pull(task_ids=f"{group(source)}.{task}", map_indexes=index, default=None)


def summarize(jobs: list[dict[str, Any]], part: dict[str, Any]) -> list[dict[str, Any]]:
    """One outcome row per table and partition (per trading day of a series)."""
    ctx = get_current_context()
    ti, dry_run = ctx["ti"], bool(ctx["params"].get("dry_run"))
    rows = []
    from tributary import pools

    for i, job in zip(pools.map_indexes(jobs), jobs):
        verified, gated = _pull(ti, "verify", i), _pull(ti, "gx_gate", i)
        staged, loaded = _pull(ti, "stage", i) or {}, _pull(ti, "load", i) or {}
        passed = bool(verified and gated and gated.get("success"))
        state = "dry-run" if dry_run else ("gate failed" if verified else False)
        common = {"table": job["table"], "source": job["source"], "target_table": job["target_table"]}
        if part.get("series"):
            staged_days = {p.get("name"): p for p in staged.get("partitions") or []}
            loaded_days = {p.get("name"): p for p in loaded.get("partitions") or []}
            verified_days = {p.get("partition"): p for p in (verified or {}).get("partitions") or []}
            for day in part["series"]:
                name = day["partition"]
                s_day, l_day = staged_days.get(name) or {}, loaded_days.get(name) or {}
                base = {"partition": name, **common, "files": s_day.get("files", 0), "manifest": s_day.get("manifest")}
                if passed and name in verified_days:
                    rows.append({**base, **verified_days[name], "partition": name, "gx": "passed"})
                else:
                    rows.append({**base, "rows": s_day.get("rows"), "source_checksum": s_day.get("checksum"),
                                 "target_checksum": l_day.get("checksum"), "verified": state})
            continue
        base = {"partition": part["partition"], **common, "files": len(staged.get("files") or []),
                "manifest": staged.get("manifest"), "seconds": (staged.get("seconds") or 0) + (loaded.get("seconds") or 0)}
        if passed:
            rows.append({**base, **verified, "gx": "passed"})
            continue
        # rows stay None (not "-") when nothing was staged: the report formats numbers.
        rows.append({**base, "rows": staged.get("rows"), "source_checksum": staged.get("checksum"),
                     "target_checksum": loaded.get("checksum"), "verified": state})
    return rows


def series_totals(jobs: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per table over a series: trading days, how many verified, rows, and whether they cover the source table
    (``rows_outside``: source rows in no day of the series, counted by the source after staging)."""
    from tributary import pools

    ti = get_current_context()["ti"]
    out = []
    for i, job in zip(pools.map_indexes(jobs), jobs):
        staged = _pull(ti, "stage", i) or {}
        mine = [r for r in rows if r["source"] == job["source"] and r["table"] == job["table"]]
        out.append({"source": job["source"], "table": job["table"], "target_table": job["target_table"],
                    "days": len(mine), "verified_days": sum(1 for r in mine if r.get("verified") is True),
                    "rows": staged.get("rows"), "source_checksum": staged.get("checksum"),
                    "table_rows": staged.get("table_rows"), "rows_outside": staged.get("rows_outside")})
    return out


SERIES_COLUMNS = ("TABLE", "SOURCE", "TARGET", "DAYS", "VERIFIED", "ROWS", "SOURCE TABLE ROWS", "OUTSIDE")


def render_series(tables: list[dict[str, Any]]) -> str:
    lines = [(t["table"], t["source"], t["target_table"], str(t["days"]), str(t["verified_days"]), str(t["rows"]),
              str(t.get("table_rows", "-")), str(t.get("rows_outside", "-"))) for t in tables]
    widths = [max(len(c), *(len(l[i]) for l in lines)) if lines else len(c) for i, c in enumerate(SERIES_COLUMNS)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [SERIES_COLUMNS, *lines])


def series_path() -> Path:
    """The latest series run's per-table totals (beside the per-partition folder, not in it)."""
    return results_dir().parent / "warehouse-series.json"


def render(rows: list[dict[str, Any]]) -> str:
    def cell(v: Any, width: int = 16) -> str:
        text = "-" if v is None else str(v)
        return text if len(text) <= width else text[: width - 1] + "…"

    verified = {True: "yes", False: "no"}
    lines = [(r.get("partition", "?"), r.get("table", "?"), r.get("source", "?"), r.get("target_table", "?"),
              cell(r.get("rows")), cell(r.get("source_checksum")), cell(r.get("target_checksum")),
              verified.get(r.get("verified"), str(r.get("verified")))) for r in rows]
    widths = [max(len(c), *(len(l[i]) for l in lines)) if lines else len(c) for i, c in enumerate(COLUMNS)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [COLUMNS, *lines])


def all_verified(rows: list[dict[str, Any]]) -> bool:
    return bool(rows) and all(r.get("verified") is True for r in rows)


def write_result(rows: list[dict[str, Any]], part: dict[str, Any], meta: dict[str, Any]) -> Path:
    """``<state>/reports/warehouse/<partition>.json``: the latest outcome of that partition (atomic replace)."""
    path = results_dir() / f"{part['partition']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**meta, **part, "all_verified": all_verified(rows), "tables": rows}, indent=2, default=str))
    tmp.replace(path)
    return path


def finish(jobs: list[dict[str, Any]], part: dict[str, Any]) -> list[dict[str, Any]]:
    """Log and write the partition's outcome (each trading day's, for a series); fail unless every table
    verified (skip on a dry run)."""
    ctx = get_current_context()
    pushgateway.forget_dead_workers(["stage", "load"], jobs)  # every worker of this run has ended
    if ctx["params"].get("dry_run"):
        jobs = chosen_tables()  # nothing was mapped: report the tables the run would have loaded
    rows = summarize(jobs, part)
    meta = {"dag_id": ctx["dag"].dag_id, "run_id": ctx["run_id"]}
    if part.get("series"):
        for day in part["series"]:
            write_result([r for r in rows if r["partition"] == day["partition"]],
                         {**day, "exchange": part["exchange"]}, meta)
        totals = series_totals(jobs, rows)
        series_path().write_text(json.dumps({**meta, **{k: v for k, v in part.items() if k != "series"},
                                             "days": len(part["series"]), "all_verified": all_verified(rows),
                                             "tables": totals}, indent=2, default=str))
        log.info("outcome of %s (%d trading days, %s):\n%s", ctx["run_id"], len(part["series"]), part["partition"],
                 render_series(totals))
        log.info("result files: %s/<trading day>.json, %s", results_dir(), series_path())
    else:
        log.info("outcome of %s (partition %s):\n%s", ctx["run_id"], part["partition"], render(rows))
        log.info("result file: %s", write_result(rows, part, meta))
    if ctx["params"].get("dry_run"):
        raise AirflowSkipException("dry run: nothing was staged or loaded")
    if not all_verified(rows):
        bad = sorted({f"{r['source']}.{r['table']}" for r in rows if r.get("verified") is not True})
        raise AirflowFailException(f"partition {part['partition']} not verified: {', '.join(bad)}")
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m tributary.warehouse [PARTITION ...]``: print the per-partition outcome; exit 1 unless all verified.

    ``python -m tributary.warehouse --window-open SESSION`` prints when that trading day's run starts
    (the logical date `airflow dags test` needs to load exactly that session).
    """
    import sys

    args = argv if argv is not None else sys.argv[1:]
    if args[:1] == ["--series"]:  # the latest series run (load_from): per table; exit 1 unless all verified
        # (and, with --complete, unless every source row lies in one of its days)
        if not series_path().exists():
            print(f"no series result ({series_path()})", file=sys.stderr)
            return 1
        report = json.loads(series_path().read_text())
        print(f"{report['days']} trading days, {report['partition']} (run {report['run_id']})")
        print(render_series(report["tables"]))
        covered = all(t.get("rows_outside") == 0 for t in report["tables"])
        print("every source row lies in a verified daily partition" if covered and report["all_verified"]
              else "NOT every source row is in a verified daily partition")
        return 0 if report["all_verified"] and (covered or "--complete" not in args) else 1
    if args[:1] == ["--window-open"]:
        import datetime as dt

        schedule = LowTradingWindowTimetable.from_config(config.load().warehouse_schedule)
        for day in args[1:]:
            print(schedule.window_open(dt.date.fromisoformat(day)).isoformat())
        return 0
    files = [results_dir() / f"{a}.json" for a in args] or sorted(results_dir().glob("*.json"))
    rows, ok = [], bool(files)
    for f in files:
        if not f.exists():
            print(f"no result for partition {f.stem} ({f})", file=sys.stderr)
            ok = False
            continue
        report = json.loads(f.read_text())
        rows += report["tables"]
        ok = ok and report["all_verified"]
    print(render(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
