"""Airflow pools: one per source instance, so no run of any DAG puts more sessions on a production source than
``sources[].max_sessions`` of migration.yaml allows.

A pool slot is one session on the source. A task that opens sessions on one source runs in that source's pool and
takes as many slots as it opens sessions (``copy``: its chunk workers plus the coordinator's snapshot). Tasks that
read several sources in one call (``conflicts``, ``resolve``, ``schema``, the cutover and reconcile steps) cannot sit
in several pools, so they share one more pool of ONE slot, ``tributary-all-sources``: one of them runs at a time,
holding at most one session per source (they open their connections one after another, or one per source), and
every source pool keeps that session back (``max_sessions - 1`` slots). Per source, at any moment: sessions <=
(max_sessions - 1) + 1. Not bounded by this: the cutover's and rollback's ``freeze_and_switch``, which starts one
checksum per followed table and side before PAUSE (a freeze window an operator runs, in the shared pool so that
nothing else of Tributary's reads several sources meanwhile).

Pools must exist before a DAG runs (the scheduler leaves a task of a missing pool scheduled for ever, logging
"Tasks using non-existent pool ... will not be scheduled"; ``airflow dags test`` ignores pools). Create or update them from
migration.yaml with::

    python -m tributary.pools > pools.json && airflow pools import pools.json

``python -m tributary.pools --check pools-list.json`` (the output of ``airflow pools list -o json``) exits 2 naming
every pool that is missing or has other slots.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

PREFIX = "tributary_"
# Tasks that read several sources in one call, one at a time. A hyphen after "tributary": no pool_name() has one.
ALL_SOURCES = "tributary-all-sources"
DEFAULT_MAX_SESSIONS = 4  # the schema's default of sources[].max_sessions


def pool_name(source_id: str) -> str:
    """The pool of a source: ``tributary_<id>``. Ids are ``[a-z][a-z0-9_]*`` (the schema); anything else is
    written as ``-<hex>-`` (a character no id has), so two ids never share a pool."""
    return PREFIX + re.sub(r"[^a-z0-9_]", lambda m: f"-{ord(m.group()):x}-", source_id)


def max_sessions(cfg, source_id: str) -> int:
    for source in cfg.raw["sources"]:
        if source["id"] == source_id:
            return int(source.get("max_sessions", DEFAULT_MAX_SESSIONS))
    raise KeyError(f"{source_id!r} is not a source of {cfg.path} (sources[].id)")


def slots(cfg, source_id: str) -> int:
    """Slots of a source's pool: its sessions minus the one kept for ``tributary-all-sources``."""
    return max_sessions(cfg, source_id) - 1


def source_parallelism(cfg, source_id: str) -> int:
    """The most chunk workers a copy of this source's tables gets from migration.yaml: defaults.parallelism, or a
    tables[].parallelism whose match can name this source."""
    from fnmatch import fnmatchcase

    highest = cfg.default_parallelism
    for rule in cfg.raw.get("tables", []):
        instance = rule["match"].split(".", 1)[0]
        if "parallelism" in rule and fnmatchcase(source_id, instance):
            highest = max(highest, int(rule["parallelism"]))
    return highest


def copy_slots(cfg, source_id: str) -> int:
    """Slots one ``copy`` of this source takes: its chunk workers plus the coordinator's snapshot session, at most
    the whole pool (``copy_parallelism_cap`` then lowers the workers to fit)."""
    return min(slots(cfg, source_id), source_parallelism(cfg, source_id) + 1)


def copy_parallelism_cap(cfg, source_id: str) -> int:
    """The most chunk workers a copy of this source may start: its slots minus the coordinator's session."""
    return max(1, copy_slots(cfg, source_id) - 1)


def source_task(cfg, source_id: str, sessions: int = 1) -> dict[str, Any]:
    """Task arguments for a task that opens ``sessions`` sessions on one source. More slots than the pool has would
    leave the task queued for ever; the schema's minimum max_sessions (3) keeps every task's sessions within it."""
    if sessions > slots(cfg, source_id):
        raise ValueError(f"a task holding {sessions} sessions on {source_id} cannot fit its pool of "
                         f"{slots(cfg, source_id)} slots: raise sources[].max_sessions")
    return {"pool": pool_name(source_id), "pool_slots": sessions}


def all_sources_task() -> dict[str, Any]:
    """Task arguments for a task that reads several sources in one call (at most one session each)."""
    return {"pool": ALL_SOURCES, "pool_slots": 1}


def of_source(items: list[Any], source: str) -> list[Any]:
    """What one source's mapped group expands over: its share of ``items`` (dicts with a ``source``, or source
    ids), in order. Airflow fixes a task's pool at parse time, not per map index, and maps only over a task's whole
    return value, so each source's group gets its share from a small task of its own."""
    return [item for item in items if (item["source"] if isinstance(item, dict) else item) == source]


def map_indexes(jobs: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Where each of ``jobs`` ran: (source, map index in that source's group), as ``of_source`` hands them out."""
    seen: dict[str, int] = {}
    out = []
    for job in jobs:
        out.append((job["source"], seen.get(job["source"], 0)))
        seen[job["source"]] = out[-1][1] + 1
    return out


def pools(cfg) -> dict[str, dict[str, Any]]:
    """Every pool the DAGs use, as ``airflow pools import`` reads them."""
    out = {ALL_SOURCES: {"slots": 1, "description": "Tributary: tasks reading several sources in one call, one at a "
                                                    "time (each source pool keeps one session for them)",
                         "include_deferred": False}}
    for source_id in cfg.source_ids:
        out[pool_name(source_id)] = {
            "slots": slots(cfg, source_id),
            "description": f"Tributary: sessions on source {source_id} (sources[].max_sessions = "
                           f"{max_sessions(cfg, source_id)}, one kept for {ALL_SOURCES})",
            "include_deferred": False,
        }
    return out


def listed_pools(text: str) -> list[dict[str, Any]]:
    """The pools in ``airflow pools list -o json`` output: its JSON line (the CLI logs to stdout too)."""
    lines = [line for line in text.splitlines() if line.lstrip().startswith("[")]
    if not lines:
        raise ValueError("no JSON list in the input: expected `airflow pools list -o json` output")
    return json.loads(lines[-1])


def check(cfg, listed: list[dict[str, Any]]) -> list[str]:
    """Problems of the pools Airflow has (``airflow pools list -o json``) against migration.yaml's."""
    have = {p.get("pool"): p for p in listed}
    problems = []
    for name, want in pools(cfg).items():
        got = have.get(name)
        if got is None:
            problems.append(f"pool {name} is missing")
        elif int(got.get("slots", -1)) != want["slots"]:
            problems.append(f"pool {name} has {got.get('slots')} slots, migration.yaml says {want['slots']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    from tributary import config

    parser = argparse.ArgumentParser(prog="python -m tributary.pools", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="migration.yaml (default: TRIBUTARY_CONFIG, else the checkout's)")
    parser.add_argument("--check", metavar="POOLS_JSON",
                        help="compare with `airflow pools list -o json` output (a file, - for stdin); exit 2 if not equal")
    args = parser.parse_args(argv)
    try:
        cfg = config.load(args.config)
    except (config.ConfigError, OSError) as bad:
        print(f"tributary.pools: {bad}", file=sys.stderr)
        return 2
    if args.check is None:
        print(json.dumps(pools(cfg), indent=2))
        return 0
    text = sys.stdin.read() if args.check == "-" else Path(args.check).read_text()
    try:
        problems = check(cfg, listed_pools(text))
    except ValueError as bad:
        print(f"tributary.pools: --check {args.check}: {bad}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"tributary.pools: {problem}: run `python -m tributary.pools > pools.json && "
              f"airflow pools import pools.json`", file=sys.stderr)
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
