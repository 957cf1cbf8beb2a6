"""The labelled corpus of real public schemas (corpus/real/*.json) and the workloads run against it.

Each file is one public database nobody here wrote, as the discovery scanner would catalogue it
(docs/inventory-format.md: tables, columns, types, keys, indexes), with a hand label and a one-line
reason per table and the database's source and licence (corpus/real/SOURCES.md). Only schema facts are
stored: no rows, no statistics. Those are not public, so the usage, size and time span a scan would find
are GENERATED here, deterministically from the label, one workload per class:

  application  read by key and updated (a few lookups are only read; a few idle features not touched at all)
  broker       append-only, read by time range, data current to the scan (some with a retention purge)
  unknown      never read or written since the statistics reset (a pg_dump's scan now and then), data old

Two workloads per database: ``in service`` (statistics cover the last weeks) and ``fresh restore``
(restored from a dump minutes ago: every counter zero, so names and shapes are all there is).
Because the usage is generated from the labels, the in-service figures measure whether the classifier
reads usage right and is not misled by names; they are no evidence about real workloads.
"""

from __future__ import annotations

import copy
import json
import math
import random
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from .words import is_time_type

REAL_DIR = Path(__file__).resolve().parent / "corpus" / "real"
WORKLOADS = ("in service", "fresh restore")
# One fixed moment for every generated scan: no clock, so every run sees the same corpus.
SCANNED_AT = datetime(2026, 11, 22, 2, 30, tzinfo=timezone.utc)


@lru_cache(maxsize=1)
def _load() -> tuple[dict, ...]:
    return tuple(json.loads(path.read_text(encoding="utf-8")) for path in sorted(REAL_DIR.glob("*.json")))


def databases() -> list[dict]:
    """Every real database of the corpus (a deep copy: callers may change it)."""
    return copy.deepcopy(list(_load()))


def _log_uniform(rng: random.Random, low: float, high: float) -> int:
    return int(round(10 ** rng.uniform(math.log10(low), math.log10(high))))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_column(table: dict) -> str | None:
    """The column the scanner would report a time span for: an indexed/key time column, else the first one."""
    types = {c["name"]: c["type"] for c in table["columns"]}
    for index in table.get("indexes", []):
        for column in index.get("columns") or []:
            if column and is_time_type(types.get(column, "")):
                return column
    return next((c["name"] for c in table["columns"] if is_time_type(c["type"])), None)


def _usage(rng: random.Random, label: str, table: dict, rows: int, now: datetime, statements: bool) -> dict:
    indexed = bool(table.get("indexes"))
    usage = {"seq_scan": 0, "idx_scan": 0, "n_tup_ins": 0, "n_tup_upd": 0, "n_tup_del": 0, "n_live_tup": rows,
             "last_vacuum": None, "last_autovacuum": None, "last_analyze": None, "last_autoanalyze": None,
             "heap_blks_read": 0, "heap_blks_hit": 0, "statement_calls": 0 if statements else None}
    if label == "application":
        role = rng.choices(("busy", "lookup", "idle"), weights=(70, 25, 5))[0]
        if role == "idle":  # a feature nobody used since the reset: labelled application all the same
            usage["last_autoanalyze"] = _iso(now - timedelta(days=rng.uniform(40, 400)))
        else:
            usage["seq_scan"] = _log_uniform(rng, 3, 5e4)
            usage["idx_scan"] = _log_uniform(rng, 50, 1e8) if indexed else 0
            if role == "busy":
                usage["n_tup_ins"] = _log_uniform(rng, 1, max(2, rows / 2))
                usage["n_tup_upd"] = _log_uniform(rng, 1, max(2, rows)) if rng.random() < 0.8 else 0
                usage["n_tup_del"] = _log_uniform(rng, 1, max(2, rows / 20)) if rng.random() < 0.3 else 0
            else:
                usage["n_tup_ins"] = rng.choice((0, 0, 1, 3))
            usage["last_autoanalyze"] = _iso(now - timedelta(hours=rng.uniform(1, 24 * 20)))
    elif label == "broker":
        usage["n_tup_ins"] = _log_uniform(rng, max(1, rows / 10), max(2, rows))
        usage["n_tup_del"] = _log_uniform(rng, 1, max(2, rows / 10)) if rng.random() < 0.25 else 0  # retention
        usage["n_tup_upd"] = _log_uniform(rng, 1, 50) if rng.random() < 0.1 else 0  # a vendor correction
        usage["seq_scan"] = _log_uniform(rng, 1, 500)  # the nightly export, an analyst
        usage["idx_scan"] = _log_uniform(rng, 10, 1e5) if indexed else 0  # time-range reads
        usage["last_autoanalyze"] = _iso(now - timedelta(hours=rng.uniform(1, 48)))
        usage["last_autovacuum"] = _iso(now - timedelta(hours=rng.uniform(1, 72)))
    else:
        if rng.random() < 0.2:
            usage["seq_scan"] = rng.randint(1, 2)  # a pg_dump or a curious analyst
        if rng.random() < 0.5:
            usage["last_autoanalyze"] = _iso(now - timedelta(days=rng.uniform(400, 2500)))
    if statements and label != "unknown":
        usage["statement_calls"] = _log_uniform(rng, 5, 1e7) if usage["seq_scan"] + usage["idx_scan"] else 0
    usage["heap_blks_hit"] = usage["seq_scan"] * 100 + usage["idx_scan"] * 3
    return usage


def _span(rng: random.Random, label: str, now: datetime) -> tuple[datetime, datetime]:
    """When the table's data starts and ends (a property of the data, the same in both workloads)."""
    if label == "broker":
        end = now - timedelta(hours=rng.uniform(0.1, 30))
    elif label == "unknown":
        end = now - timedelta(days=rng.uniform(400, 3000))
    else:
        end = now - timedelta(days=rng.choice((rng.uniform(0, 3), rng.uniform(0, 3), rng.uniform(3, 400))))
    return end - timedelta(days=rng.uniform(30, 2500)), end


def with_workload(db: dict, workload: str) -> dict:
    """The database as a discovery scan would find it under ``workload``: an inventory document."""
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}: one of {', '.join(WORKLOADS)}")
    inventory = copy.deepcopy(db)
    now = SCANNED_AT
    # str seeds go through SHA-512 in random.seed: stable across runs and machines
    db_rng = random.Random(f"{db['instance']}")
    statements = db_rng.random() < 0.5
    fresh = workload == "fresh restore"
    reset = now - (timedelta(minutes=db_rng.uniform(5, 50)) if fresh else timedelta(days=db_rng.uniform(20, 120)))
    inventory.update(scanned_at=_iso(now), stats_reset=_iso(reset))
    for table in inventory["tables"]:
        rng = random.Random(f"{db['instance']}/{table['schema']}.{table['name']}")
        label = table["label"]
        rows = {"application": lambda: _log_uniform(rng, 5, 5e6), "broker": lambda: _log_uniform(rng, 1e4, 5e8),
                "unknown": lambda: rng.choice((0, _log_uniform(rng, 10, 2e5)))}[label]()
        start, end = _span(rng, label, now)
        usage = _usage(rng, label, table, rows, now, statements)
        if fresh:  # pg_restore then ANALYZE: rows and data are there, no counter has moved
            usage = {k: (0 if isinstance(v, int) else None) for k, v in usage.items()}
            usage.update(n_live_tup=rows, last_analyze=_iso(now - timedelta(minutes=2)),
                         statement_calls=0 if statements else None)
        table["usage"] = usage
        table["size"] = {"rows_estimate": rows, "rows_exact": None, "table_bytes": rows * 120, "total_bytes": rows * 180}
        column = _time_column(table)
        span = None
        if column and rows:
            span = {"column": column, "min": _iso(start), "max": _iso(end), "source": "pg_stats"}
        key = table["primary_key"][0] if len(table["primary_key"]) == 1 else None
        key_type = next((c["type"] for c in table["columns"] if c["name"] == key), "")
        key_range = ({"column": key, "min": 1, "max": max(rows, 1), "source": "pg_stats"}
                     if key_type in ("integer", "bigint", "smallint") else None)
        table["profile"] = {"columns": {}, "time_span": span, "key_range": key_range}
    return inventory


def records(db: dict, workload: str) -> list[dict]:
    """Corpus lines (the shape of corpus/*.jsonl: one table, its instance's scan times, its label)."""
    inventory = with_workload(db, workload)
    return [{**table, "instance": inventory["instance"], "scanned_at": inventory["scanned_at"],
             "stats_reset": inventory["stats_reset"]} for table in inventory["tables"]]
