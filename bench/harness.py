"""The benchmark run: one invocation, every contender, alternating and repeated, medians reported.

Environment: BENCH_ROWS (default 5,000,000), BENCH_REPEAT (default 3), BENCH_RSS_ROWS (the smaller
size for the worker's peak RSS, default 1,000,000), BENCH_RESULTS (output folder, default
bench/results), BENCH_PUBLISH (1: write the table into README.md; default 1), BENCH_CASES (comma-separated
subset to run, e.g. `raw_copy,tributary_copy_verified`: copy ids from COPIES, plus `diff`, `stage`, `rss`;
default all; a subset never rewrites README.md), BENCH_CHUNK_ROWS (the worker's --chunk-rows; default: the
config's 250,000), BENCH_CDC_CHANGES (changes per `cdc` run, default 300,000).
"""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from bench import datagen, report, tools
from bench.stack import Stack

REPO = Path(__file__).resolve().parent.parent

# (id, label, function) in the order of the first repetition; later repetitions rotate it so no tool
# always runs first (cold caches) or last (a warm, dirty machine).
COPIES = [
    ("raw_copy", "raw limit: COPY binary | COPY binary + PK", tools.raw_copy),
    ("pg_dump", "pg_dump -t trades | psql", tools.pg_dump_psql),
    ("pgcopydb", "pgcopydb clone (2 table jobs, 2 index jobs)", tools.pgcopydb_clone),
    ("tributary_copy", "tributary copy (data + PK)", tools.tributary_copy),
    ("tributary_copy_verified", "tributary copy + verification", tools.tributary_copy_verified),
    ("tributary_copy_dag", "tributary schema pre-data + copy + post-data (as the consolidate DAG)",
     tools.tributary_copy_dag),
]
DIFFS = [
    ("tributary_diff", "tributary diff", tools.tributary_diff),
    ("reladiff", "reladiff", tools.reladiff),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rotated(items: list, n: int) -> list:
    n %= len(items)
    return items[n:] + items[:n]


class Results:
    def __init__(self, rows: int, repeat: int):
        self.rows, self.repeat = rows, repeat
        self.entries: dict[str, dict] = {}
        self.max_load = os.getloadavg()[0]  # sampled after every run: was the machine shared?

    def entry(self, key: str, label: str, kind: str, rows: int) -> dict:
        return self.entries.setdefault(key, {"id": key, "label": label, "kind": kind, "rows": rows,
                                             "status": "ok", "runs": [], "details": []})

    def record(self, key, label, kind, rows, attempt, optional=False):
        """attempt() → tools.Run; failures are recorded, not raised: one broken tool must not hide the rest."""
        e = self.entry(key, label, kind, rows)
        if optional:
            e["optional"] = True
        try:
            run = attempt()
            self.max_load = max(self.max_load, os.getloadavg()[0])
        except Exception as exc:  # noqa: BLE001 — reported in the table and the JSON, and the exit code
            e["status"] = "failed"
            e.setdefault("errors", []).append(str(exc)[-2000:])
            log(f"{label}: FAILED: {exc}")
            if os.environ.get("BENCH_DEBUG"):
                traceback.print_exc()
            return None
        e["runs"].append(round(run.seconds, 3))
        if run.rows is not None:
            e.setdefault("target_rows", []).append(run.rows)
        if run.peak_rss_bytes:
            e["peak_rss_mb"] = max(e.get("peak_rss_mb", 0), round(run.peak_rss_bytes / 2**20, 1))
        if run.detail:
            e["details"].append(run.detail)
        log(f"{label}: {run.seconds:.2f} s" + (f", peak RSS {run.peak_rss_bytes / 2**20:.0f} MB"
                                                 if run.peak_rss_bytes else ""))
        return run

    def not_available(self, key, label, kind, reason):
        e = self.entry(key, label, kind, None)
        e["status"] = "n/a"
        e["note"] = reason


def main() -> int:
    rows = int(os.environ.get("BENCH_ROWS", "5000000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    rss_rows = int(os.environ.get("BENCH_RSS_ROWS", "1000000"))
    out_dir = Path(os.environ.get("BENCH_RESULTS", REPO / "bench" / "results"))
    publish = os.environ.get("BENCH_PUBLISH", "1") == "1"
    if rows < 1000 or repeat < 1:
        print("bench: BENCH_ROWS must be >= 1000 and BENCH_REPEAT >= 1", file=sys.stderr)
        return 2
    known = [key for key, _, _ in COPIES] + ["diff", "stage", "rss", "cdc"]
    cases = [c.strip() for c in os.environ.get("BENCH_CASES", "").split(",") if c.strip()] or known
    unknown = sorted(set(cases) - set(known))
    if unknown:
        print(f"bench: unknown BENCH_CASES {', '.join(unknown)} (known: {', '.join(known)})", file=sys.stderr)
        return 2
    if set(cases) != set(known) and publish:
        log(f"BENCH_CASES selects {', '.join(cases)}: README.md is left alone (a subset is not the table)")
        publish = False
    copies = [c for c in COPIES if c[0] in cases]

    stack = Stack.from_environment()
    started = time.monotonic()
    load_at_start = os.getloadavg()[0]
    source = stack.source()
    generated = datagen.ensure_trades(source, rows, log=log)
    datagen.ensure_warmup(source)
    results = Results(rows, repeat)

    with tempfile.TemporaryDirectory(prefix="tributary-bench-") as tmp:
        workdir = Path(tmp)
        worker = tools.Worker.prepare(REPO, workdir, source, stack.target_instance, os.environ.get("TRIBUTARY_CONN_S3"))
        worker.env["TRIBUTARY_CONN_BENCH_DIFF"] = stack.target_instance.with_name("bench_diff").uri
        log(f"worker commands: {', '.join(sorted(worker.commands))}")

        # 1-5: copies, each into an empty database, alternating order per repetition.
        for n in range(repeat if copies else 0):
            for key, label, fn in rotated(copies, n):
                target = stack.fresh_target()

                def attempt(fn=fn, target=target, n=n, key=key):
                    if key.startswith("tributary"):
                        worker.set_up_control_schema()  # untimed: each fn times only its own tool
                    run = fn(source=source, target=target, workdir=workdir, worker=worker,
                             run_id=f"bench-{key}-{n}-{int(time.time())}")
                    landed = target.count()
                    if landed != rows:
                        raise tools.ToolFailed(f"{landed} rows in the target, expected {rows}")
                    if not target.sql("SELECT 1 FROM pg_constraint WHERE conrelid = 'public.trades'::regclass"
                                      " AND contype = 'p'"):
                        raise tools.ToolFailed("no primary key on the target table")
                    run.rows = landed
                    return run
                results.record(key, label, "copy", rows, attempt)
        stack.drop_target()

        # diff: the same two tables, identical, then with 10 planted differences.
        if "diff" in cases:
            run_diffs(stack, source, worker, results, rows, repeat)

        # stage: Parquet to S3 against COPY | zstd to a local file, alternating like the copies.
        if "stage" in cases:
            run_stages(stack, source, worker, results, rows, repeat, workdir)

        # peak RSS of the worker at the smaller size (the BENCH_ROWS size comes from the copies above).
        if "rss" in cases:
            measure_rss(stack, source, worker, results, rows, min(rss_rows, rows))

        # CDC apply: a stream of changes made on the source, applied by tributary follow.
        if "cdc" in cases:
            run_cdc(stack, source, worker, results, repeat, workdir)

    record_freezes(stack, results)

    meta = {
        "rows": rows, "cases": cases, "chunk_rows": os.environ.get("BENCH_CHUNK_ROWS") or None, "repeat": repeat, "generated_seconds": round(generated, 1),
        "finished_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "total_seconds": round(time.monotonic() - started, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "postgresql": source.sql("SHOW server_version"),
                    "pgcopydb": tools.pgcopydb_version(), "load_1m": os.getloadavg()[0],
                    "load_1m_at_start": load_at_start, "load_1m_max": results.max_load},
        "worker_commands": sorted(worker.commands),
        "source_table_bytes": int(source.sql("SELECT pg_table_size('public.trades')")),
    }
    doc = report.build(results.entries, meta)
    report.write(doc, out_dir)
    print(report.markdown(doc))
    if publish:
        report.publish_readme(doc, REPO / "README.md")
        log("README.md updated")
    optional = [e["id"] for e in doc["rows"] if e["status"] == "failed" and e.get("optional")]
    if optional:
        log(f"failed (optional, reported in the table, not in the exit code): {', '.join(optional)}")
    failed = [e["id"] for e in doc["rows"] if e["status"] == "failed" and not e.get("optional")]
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    return 0


def run_diffs(stack, source, worker, results, rows, repeat):
    # diff reads the merge state from the control schema (in bench_target): give it one, untimed.
    stack.fresh_target()
    worker.set_up_control_schema()
    target = stack.fresh_target("bench_diff")
    try:
        tools.raw_copy(source=source, target=target)
        for phase, planted in (("identical", []), ("10 differences", None)):
            if planted is None:
                planted = datagen.plant_differences(target, rows)
            for n in range(repeat):
                for key, label, fn in rotated(DIFFS, n):
                    def attempt(fn=fn, planted=planted):
                        run = fn(source=source, target=target, worker=worker, python=Path(sys.executable))
                        found = run.detail.get("keys")
                        if found != planted:
                            raise tools.ToolFailed(f"found {len(found)} differing keys {found[:20]},"
                                                   f" planted {len(planted)} {planted}")
                        run.detail = {k: v for k, v in run.detail.items() if k != "keys"}
                        return run
                    suffix = "identical" if phase == "identical" else "diff10"
                    results.record(f"{key}_{suffix}", f"{label} ({phase})", "diff", rows, attempt)
    finally:
        stack.drop_target("bench_diff")
        stack.drop_target()


def run_stages(stack, source, worker, results, rows, repeat, workdir):
    zstd = ("copy_zstd", "COPY TO STDOUT | zstd > file", lambda: tools.copy_to_zstd(source=source, workdir=workdir))
    if "stage" not in worker.commands:
        results.not_available("tributary_stage", "tributary stage (Parquet → S3)", "stage", "n/a (not built)")
        for n in range(repeat):
            results.record(zstd[0], zstd[1], "stage", rows, zstd[2])
        return

    def stage():
        run = tools.tributary_stage(source=source, worker=worker)
        if run.rows != rows:
            raise tools.ToolFailed(f"stage reported {run.rows} rows, expected {rows}")
        return run

    # Stage records its run in the control schema, which lives in the target database: give it one (untimed).
    stack.fresh_target()
    try:
        worker.set_up_control_schema()
        contenders = [zstd, ("tributary_stage", "tributary stage (Parquet → S3)", stage)]
        for n in range(repeat):
            for key, label, fn in rotated(contenders, n):
                results.record(key, label, "stage", rows, fn)
    finally:
        stack.drop_target()
        tools.remove_staged_objects(Path(os.environ.get("TRIBUTARY_STATE", REPO / ".stack")))


def run_cdc(stack, source, worker, results, repeat, workdir):
    changes = int(os.environ.get("BENCH_CDC_CHANGES", "300000"))
    label = (f"tributary follow: apply {changes:,} changes (½ inserts ×1,000/tx, ¼ updates ×100/tx,"
             " ¼ deletes ×1,000/tx); rows/s = changes/s over the follow's own time")
    try:
        for _ in range(repeat):
            target = stack.fresh_target()

            def attempt(target=target):
                worker.set_up_control_schema()  # untimed, like the slot and the changes below
                tools.cdc_prepare(source, target, worker, workdir)
                made = tools.cdc_changes(source, changes)
                run = tools.tributary_follow(worker)
                if run.rows != changes:
                    raise tools.ToolFailed(f"follow applied {run.rows} changes, {changes} were made")
                sums = [worker.run("checksum", "--conn", conn, "--table", tools.CDC_TABLE)[0]
                        for conn in ("bench_src", "bench_dst")]
                if (sums[0]["rows"], sums[0]["checksum"]) != (sums[1]["rows"], sums[1]["checksum"]):
                    raise tools.ToolFailed(f"source and target differ after the follow: {sums}")
                run.detail.update(made)
                run.rows = changes
                return run
            results.record("tributary_follow", label, "cdc", changes, attempt)
    finally:
        tools.cdc_clean(source)
        stack.drop_target()


def record_freezes(stack, results):
    """make bench runs no Airflow: the cutover freeze is the one last recorded in this stack's control schema."""
    found = tools.recorded_freezes(stack.target_instance)
    for direction in ("cutover", "rollback"):
        last = next((f for f in found if f["direction"] == direction), None)
        key, label = f"{direction}_freeze", f"{direction} write freeze (PgBouncer PAUSE to RESUME)"
        if last is None:
            results.not_available(key, label, "freeze", "n/a: no switch recorded in this stack's control schema"
                                                        " (run tests/test_e2e_cutover.py first)")
            continue
        e = results.entry(key, f"{label}, last recorded in this stack ({last['paused_at'][:19]}, by Airflow,"
                               " e.g. test_e2e_cutover; not run by make bench)", "freeze", None)
        e["runs"].append(round(float(last["freeze_seconds"]), 3))
        e["details"].append({"steps": last["steps"], "sources": last["sources"]})


def measure_rss(stack, source, worker, results, rows, small):
    if small >= rows:
        return  # the copies above measured it at this size
    datagen.ensure_trades(source, small, table="trades_small", log=log)
    target = stack.fresh_target()
    try:
        def attempt():
            worker.set_up_control_schema()
            result, _, seconds, rss = worker.run("copy", "--source", "bench_src", "--table", "public.trades_small",
                                                 "--run-id", f"bench-rss-{int(time.time())}",
                                                 "--progress-every", "60")
            return tools.Run(seconds, rows=result.get("rows"), peak_rss_bytes=rss)
        results.record("rss_small", f"tributary copy of {small:,} rows (peak RSS)", "rss", small, attempt)
    finally:
        stack.drop_target()
