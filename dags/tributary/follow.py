"""Phase 5 set-up: start a source's follow where the copies end, through Airflow (docs/runbooks/follow.md).

The follower must start exactly where the copy's snapshot ends (docs/cdc.md): ``tributary follow --prepare``
creates the slot with an exported snapshot and holds it while every followed table is copied in it
(``tributary copy --snapshot``); then the snapshot is released and the follower streams from the slot's
consistent point. A held snapshot lives only as long as the ``--prepare`` process, and ``airflow dags test`` runs
one task at a time, so one task per source owns the whole hold, in order:

1. ``prepare``: ``follow --prepare`` started as a child process (the worker launcher, connections only in its
   environment), waited for until its snapshot is ``holding`` in ``tributary.follow_slots``;
2. ``pre-data``: ``schema --phase pre-data`` for followed tables the consolidated database does not have yet;
3. ``foreign keys off``: a table consolidated before (phase 2) is **re-copied** in the slot's snapshot, because
   its earlier copy read another snapshot: writes between the two are in neither that copy nor the stream. Its
   rows are replaced (``copy --truncate``), which PostgreSQL refuses while a foreign key references the table, and
   the copies land in any order: so the target's foreign keys on or to those tables are dropped first (their
   definitions kept) and put back, validated, after the copies;
4. ``copy``: one ``copy --snapshot`` per table (rows, both checksums, verified: to XCom as in phase 2);
5. ``release``: the ``--prepare`` process is told to stop (its stop file): it releases the snapshot and ends, 0;
6. ``foreign keys on``, ``post-data`` (for the new tables), ``catch up`` (``follow --until-caught-up``).

A failure anywhere up to ``post-data`` stops the holder, puts the foreign keys back and drops the slot and the
publication (``follow --until-lsn 0/0 --drop-slot``): no snapshot stays held, no process stays behind, no slot pins
the source's WAL, and the next run starts from the beginning (the copies replace what the failed one copied).
The task fails naming the step. A failed catch-up keeps the slot: the follow is set up, a re-run catches up.

Re-run: a source whose follow is set up (slot ``released``) is not copied again, only caught up (skipped if a
long-running follower holds the slot); one cut over is left alone (its consolidated database serves); one whose
slot is ``holding`` is refused, nothing changed (another set-up holds it, or its holder died: the runbook says
what to do).

Pod mode (``TRIBUTARY_LAUNCHER=kubernetes``): not supported yet. The hold needs the ``--prepare`` process to live
beside the copies for the task's whole length; like the cutover's freeze it runs the worker as child processes of
the task (bin/tributary), which the Airflow image does not carry.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from tributary import config, names, pools, worker
from tributary.cutover import InBackground, Settings, Stream, _connect, _query, _regclass_text, _t, lifecycle

log = logging.getLogger(__name__)

SNAPSHOT_TIMEOUT = 300.0  # seconds for --prepare to hold its snapshot (it waits for every writing transaction)


class SetUpFailed(Exception):
    """A step of the set-up failed; everything it had started is undone (no snapshot held, no slot)."""


def slot_name(source: str) -> str:
    return f"tributary_{source}"[:63]


def followed_tables(s: Settings, source: str, tables_param: str = "") -> dict[str, str]:
    """source table -> target table. The Param's tables (their target from phase 2's record, else migration.yaml,
    else the same name), or, without it, every table phase 2 copied from ``source`` into the consolidated database."""
    wanted = [names.qualified(*names.split_table(t.strip())) for t in (tables_param or "").split(",") if t.strip()]
    configured = {j.table: j.target_table for j in config.load().consolidate_tables() if j.source == source}
    ctl = _connect(s.control)
    try:
        copied = {}
        if _query(ctl, "SELECT to_regclass(%s)", (_t(s, "table_status"),))[0][0]:
            copied = dict(_query(ctl, f"SELECT source_table, target_table FROM {_t(s, 'table_status')}"
                                      " WHERE source = %s AND target = %s AND status = 'copied'", (source, s.consolidated)))
    finally:
        ctl.close()
    if not wanted:
        if not copied:
            raise SetUpFailed(f"{source}: no table of it was consolidated yet: give the tables Param")
        return dict(sorted(copied.items()))
    return {t: copied.get(t) or configured.get(t) or t for t in wanted}


def slot_state(s: Settings, source: str) -> str | None:
    ctl = _connect(s.control)
    try:
        if not _query(ctl, "SELECT to_regclass(%s)", (_t(s, "follow_slots"),))[0][0]:
            return None
        rows = _query(ctl, f"SELECT state FROM {_t(s, 'follow_slots')} WHERE source = %s AND slot_name = %s",
                      (source, slot_name(source)))
        return rows[0][0] if rows else None
    finally:
        ctl.close()


def _snapshot(s: Settings, source: str) -> str | None:
    ctl = _connect(s.control)
    try:
        if not _query(ctl, "SELECT to_regclass(%s)", (_t(s, "follow_slots"),))[0][0]:
            return None
        rows = _query(ctl, f"SELECT snapshot_name FROM {_t(s, 'follow_slots')} WHERE source = %s AND slot_name = %s"
                           " AND state = 'holding'", (source, slot_name(source)))
        return rows[0][0] if rows else None
    finally:
        ctl.close()


# ---------------------------------------------------------------------------------------------------------------
# the target's foreign keys around a re-copy


# Each table and, if partitioned, its partitions (pg_partition_tree has no row for a plain table).
FOREIGN_KEYS_SQL = """
WITH rel AS (SELECT t.rel FROM unnest(%(tables)s::regclass[]) AS t(rel)
             UNION SELECT p.relid FROM unnest(%(tables)s::regclass[]) AS t(rel), LATERAL pg_partition_tree(t.rel) AS p)
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conparentid = 0
  AND (c.conrelid IN (SELECT rel FROM rel) OR c.confrelid IN (SELECT rel FROM rel))
ORDER BY 1, 2
"""


def drop_foreign_keys(s: Settings, tables: list[str]) -> list[list[str]]:
    """Drops (in one transaction) the consolidated database's foreign keys on or to ``tables`` and returns their
    definitions (table, name, definition), to be put back by ``restore_foreign_keys``."""
    if not tables:
        return []
    conn = _connect(s.consolidated)
    try:
        regs = [_regclass_text(t) for t in tables]
        keys = [list(r) for r in _query(conn, FOREIGN_KEYS_SQL, {"tables": regs})]
        conn.autocommit = False
        with conn.cursor() as cur:
            for table, name, _ in keys:
                cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT " + '"' + name.replace('"', '""') + '"')
        conn.commit()
    finally:
        conn.close()
    if keys:
        log.info("dropped %d foreign keys on or to the re-copied tables (put back after the copies): %s", len(keys),
                 ", ".join(f"{t}.{n}" for t, n, _ in keys))
    return keys


def restore_foreign_keys(s: Settings, keys: list[list[str]], validate: bool = True) -> list[str]:
    """Puts the dropped foreign keys back as they were. ``validate=False`` (after a failure, the copies half done):
    a key the rows do not satisfy is put back NOT VALID rather than lost; the names of those are returned."""
    conn = _connect(s.consolidated)
    not_valid = []
    try:
        for table, name, definition in keys:
            add = f"ALTER TABLE {table} ADD CONSTRAINT " + '"' + name.replace('"', '""') + '" '
            if _query(conn, "SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND conname = %s", (table, name)):
                continue  # put back already (a re-run)
            try:
                _query(conn, add + definition)
            except Exception:
                if validate or definition.endswith("NOT VALID"):
                    raise
                _query(conn, add + definition + " NOT VALID")
                not_valid.append(f"{table}.{name}")
    finally:
        conn.close()
    return not_valid


# ---------------------------------------------------------------------------------------------------------------
# the set-up


class Holder:
    """``follow --prepare`` as a child process, holding the slot's snapshot until its stop file appears."""

    def __init__(self, stream: Stream, tmp: str):
        self.stream = stream
        self.stop = Path(tmp) / f"{stream.slot}.prepare.stop"
        self.run = InBackground(lambda: stream.follow("--prepare", "--stop-file", str(self.stop)))

    def wait_holding(self, s: Settings, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            snapshot = _snapshot(s, self.stream.source)
            if snapshot:
                return snapshot
            if not self.run.thread.is_alive():
                self.run.result()  # raises the worker's failure
                raise SetUpFailed("follow --prepare ended without holding a snapshot")
            if time.monotonic() > deadline:
                raise SetUpFailed(f"follow --prepare held no snapshot within {timeout:.0f} s (it waits for every"
                                  f" transaction writing on {self.stream.source} to end: look for a long one in"
                                  " pg_stat_activity)")
            time.sleep(0.5)

    def release(self, timeout: float = 120) -> dict:
        """The holder releases the snapshot (state released) and ends with exit 0."""
        self.stop.touch()
        self.run.thread.join(timeout)
        if self.run.thread.is_alive():
            raise SetUpFailed(f"follow --prepare did not end within {timeout:.0f} s of its stop file")
        return self.run.result()


def set_up(source: str, tables_param: str = "", run_id: str | None = None,
           snapshot_timeout: float = SNAPSHOT_TIMEOUT) -> dict[str, Any]:
    """The whole set-up of one source's follow (module doc); its XCom."""
    s = Settings.of(config.load())
    life = (lifecycle(s, source) or {}) if _has_lifecycle(s) else {}
    if life.get("state") in ("cut-over", "decommissioned"):
        log.info("%s is %s (PgBouncer sends it to %s): nothing to set up", source, life["state"], life.get("serving"))
        return {"source": source, "status": life["state"]}
    state = slot_state(s, source)
    if state == "holding":
        raise SetUpFailed(f"{source}: slot {slot_name(source)} is holding a snapshot already (another set-up is"
                          " running, or its holder died): nothing changed (docs/runbooks/follow.md)")
    tables = followed_tables(s, source, tables_param)
    stream = Stream(source, s.consolidated, slot_name(source), tables, worker.config_path_for_worker())
    if state == "released":
        return _catch_up(stream, {"source": source, "status": "following", "set_up": "earlier", "tables": {}}, {})
    return _set_up_fresh(s, stream, run_id, snapshot_timeout)


def _has_lifecycle(s: Settings) -> bool:
    ctl = _connect(s.control)
    try:
        return bool(_query(ctl, "SELECT to_regclass(%s)", (_t(s, "source_lifecycle"),))[0][0])
    finally:
        ctl.close()


def _existing(s: Settings, tables: dict[str, str]) -> set[str]:
    conn = _connect(s.consolidated)
    try:
        return {t for t, target in tables.items()
                if _query(conn, "SELECT to_regclass(%s)", (_regclass_text(target),))[0][0]}
    finally:
        conn.close()


def _set_up_fresh(s: Settings, stream: Stream, run_id: str | None, snapshot_timeout: float) -> dict[str, Any]:
    source, cfg = stream.source, config.load()
    rebased = _existing(s, stream.tables)  # consolidated before: re-copied in the slot's snapshot
    new = {t: target for t, target in stream.tables.items() if t not in rebased}
    out: dict[str, Any] = {"source": source, "status": "following", "set_up": "now", "slot": stream.slot,
                           "tables": {}, "steps": {}}
    steps = out["steps"]
    keys: list[list[str]] = []
    step = "prepare"

    def timed(name: str, fn, *args):
        nonlocal step
        step, began = name, time.monotonic()
        try:
            return fn(*args)
        finally:
            steps[name] = round(steps.get(name, 0) + time.monotonic() - began, 3)

    with tempfile.TemporaryDirectory(prefix="tributary-follow-") as tmp:
        holder = Holder(stream, tmp)
        released = False
        try:
            out["snapshot"] = timed("prepare", holder.wait_holding, s, snapshot_timeout)
            log.info("%s: snapshot %s held; %d tables to copy in it (%d consolidated before, re-copied)", source,
                     out["snapshot"], len(stream.tables), len(rebased))
            if new:
                timed("pre-data", _schema, s, source, new, "pre-data")
            keys = timed("foreign keys off", drop_foreign_keys, s, sorted(stream.tables[t] for t in rebased))
            out["foreign_keys"] = len(keys)
            for table, target in sorted(stream.tables.items()):
                result = timed("copy", _copy, s, cfg, source, table, target, out["snapshot"], table in rebased, run_id)
                out["tables"][table] = {k: result.get(k) for k in ("target_table", "rows", "checksum",
                                                                   "target_checksum", "verified", "status")}
                out["tables"][table]["recopied"] = table in rebased
            timed("release", holder.release)
            released = True
            timed("foreign keys on", restore_foreign_keys, s, keys)
            keys = []
            if new:
                timed("post-data", _schema, s, source, new, "post-data")
        except BaseException as exc:
            undone = _undo(s, stream, holder, released, keys)
            raise SetUpFailed(f"follow set-up of {source} failed at step '{step}': {str(exc).strip()} -- "
                              + (f"undone: {', '.join(undone)}" if undone else "nothing was left behind")
                              + "; fix the cause and trigger again (docs/runbooks/follow.md)") from exc
    return _catch_up(stream, out, steps)


def _undo(s: Settings, stream: Stream, holder: Holder, released: bool, keys: list[list[str]]) -> list[str]:
    """After a failure: the holder stopped (it releases the snapshot), the foreign keys back, the slot dropped.
    Returns what it undid; what it could not undo is logged (the task's message still names the first failure)."""
    undone = []
    if not released:
        alive = holder.run.thread.is_alive()
        try:
            holder.release()
        except BaseException:  # noqa: BLE001 - the original failure is what the task reports
            if holder.run.thread.is_alive():
                log.exception("%s: follow --prepare did not stop: kill it by hand (ps: 'follow --prepare')", stream.source)
        if alive and not holder.run.thread.is_alive():
            undone.append("follow --prepare stopped (snapshot released)")
    if keys:
        try:
            kept = restore_foreign_keys(s, keys, validate=False)
            undone.append(f"{len(keys)} foreign keys put back" + (f" ({len(kept)} NOT VALID)" if kept else ""))
            if kept:
                log.warning("foreign keys put back NOT VALID (the copies were not complete): %s", ", ".join(kept))
        except Exception:  # noqa: BLE001
            log.exception("%s: putting the foreign keys back: %s", stream.source, json.dumps(keys))
    if slot_state(s, stream.source) in ("holding", "released"):
        try:
            stream.follow("--until-lsn", "0/0", "--drop-slot")
            undone.append(f"slot and publication {stream.slot} dropped")
        except Exception:  # noqa: BLE001
            log.exception("%s: dropping slot %s (drop it by hand: docs/runbooks/follow.md)", stream.source, stream.slot)
    return undone


def _catch_up(stream: Stream, out: dict[str, Any], steps: dict[str, float]) -> dict[str, Any]:
    """``follow --until-caught-up``; skipped while a long-running follower holds the slot (it is following)."""
    conn = _connect(stream.source)
    try:
        busy = _query(conn, "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (stream.slot,))
    finally:
        conn.close()
    if not busy:
        raise SetUpFailed(f"{stream.source}: slot {stream.slot} is recorded but missing on the source: end it with"
                          " tributary follow --until-lsn 0/0 --drop-slot, then set the follow up again")
    if busy[0][0]:
        out["caught_up"] = {"status": "skipped: a follower is connected to the slot"}
        return out
    began = time.monotonic()
    result = stream.follow("--until-caught-up")
    steps["catch up"] = round(time.monotonic() - began, 3)
    out["caught_up"] = {k: result.get(k) for k in ("status", "rows", "transactions", "last_lsn", "lag_bytes")}
    log.info("%s follows %d tables: %s", stream.source, len(stream.tables), json.dumps(out, default=str))
    return out


def _schema(s: Settings, source: str, tables: dict[str, str], phase: str) -> dict:
    argv = ["schema", "--config", worker.config_path_for_worker(), "--phase", phase, "--target", s.consolidated]
    for table, target in sorted(tables.items()):
        argv += ["--table", f"{source}:{table}={target}"]
    return worker.run(argv, _connections(s, source))


def _connections(s: Settings, source: str) -> list[str]:
    return sorted({source, s.consolidated, s.control})


def _copy(s: Settings, cfg: config.MigrationConfig, source: str, table: str, target: str, snapshot: str,
          replace: bool, run_id: str | None) -> dict:
    """One table copied in the slot's snapshot. ``replace``: the target holds an earlier copy (copy --truncate:
    this source's rows only where several sources fill the table). One chunk worker: the task's pool slots hold the
    snapshot's two sessions too."""
    argv = ["copy", "--config", worker.config_path_for_worker(), "--source", source, "--table", table,
            "--target", s.consolidated, "--target-table", target, "--snapshot", snapshot, "--parallelism", "1"]
    if run_id:
        argv += ["--run-id", run_id]
    if replace:
        argv.append("--truncate")
    result = worker.run(argv, _connections(s, source))
    result.setdefault("target_table", target)
    return result


def dry_run(source: str, tables_param: str = "") -> dict[str, Any]:
    """``follow --prepare --dry-run``: every check --prepare makes, nothing created; and what would be re-copied."""
    s = Settings.of(config.load())
    tables = followed_tables(s, source, tables_param)
    stream = Stream(source, s.consolidated, slot_name(source), tables, worker.config_path_for_worker())
    result = stream.follow("--prepare", "--dry-run")
    rebased = _existing(s, tables)
    return {"source": source, "status": "dry-run", "slot_state": slot_state(s, source), "prepare": result,
            "recopy": sorted(rebased), "new": sorted(set(tables) - rebased)}


# ---------------------------------------------------------------------------------------------------------------
# Airflow task bodies (the DAG file only declares them)


def task_id(source: str) -> str:
    return f"set_up_{source}"


def pool_args(cfg: config.MigrationConfig, source: str) -> dict[str, Any]:
    """The whole source pool: the snapshot's two sessions and a copy's (one chunk worker + its coordinator)."""
    return pools.source_task(cfg, source, sessions=pools.slots(cfg, source))


of_source = pools.of_source


def task_select() -> list[str]:
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    params = get_current_context()["params"]
    declared = config.load().source_ids
    wanted = [x.strip() for x in (params.get("sources") or "").split(",") if x.strip()]
    unknown = [x for x in wanted if x not in declared]
    if not wanted or unknown:
        raise AirflowFailException(f"nothing changed: the sources Param must name declared sources"
                                   f" ({', '.join(declared)}){'; unknown: ' + ', '.join(unknown) if unknown else ''}")
    return wanted


def task_set_up(source: str) -> dict[str, Any]:
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    ctx = get_current_context()
    params = ctx["params"]
    try:
        if params.get("dry_run"):
            return dry_run(source, params.get("tables") or "")
        return set_up(source, params.get("tables") or "", ctx.get("run_id"),
                      float(params.get("snapshot_timeout_seconds") or SNAPSHOT_TIMEOUT))
    except SetUpFailed as exc:
        raise AirflowFailException(str(exc)) from None  # undone already: a person fixes the cause, then re-runs


def task_outcome(results: list) -> dict[str, Any]:
    from airflow.sdk import get_current_context

    results = [r for per_source in results for r in ([per_source] if isinstance(per_source, dict) else per_source)]
    summary = {r["source"]: r for r in results}
    log.info("%s", json.dumps(summary, indent=1, default=str))
    write_outcome(summary, get_current_context().get("run_id"))
    return summary


def write_outcome(summary: dict[str, Any], run_id: str | None = None) -> None:
    """reports/follow-outcome.json: one row per table copied in a follow's snapshot (``python -m tributary.outcome``
    prints it), and a line per source."""
    from tributary import outcome as outcome_table, paths

    rows, notes = [], []
    for source, r in sorted(summary.items()):
        for table, t in sorted((r.get("tables") or {}).items()):
            rows.append({"table": table, "source": source, "rows": t.get("rows"),
                         "source_checksum": t.get("checksum"), "target_checksum": t.get("target_checksum"),
                         "verified": t.get("verified")})
        caught = r.get("caught_up") or {}
        notes.append(f"{source}: {r.get('status')}" + (f" (set up {r['set_up']})" if r.get("set_up") else "")
                     + (f", snapshot {r['snapshot']}" if r.get("snapshot") else "")
                     + (f", {len(r['tables'])} tables copied in it" if r.get("tables") else "")
                     + (f"; caught up to {caught.get('last_lsn')} ({caught.get('rows')} changes)" if caught.get("last_lsn")
                        else (f"; catch-up {caught['status']}" if caught.get("status") else "")))
    outcome_table.write_report(rows, paths.reports_dir() / "follow-outcome.json",
                               {"dag_id": "tributary_follow", "run_id": run_id, "notes": notes})


def main(argv: list[str] | None = None) -> int:
    """``python -m tributary.follow --tables SOURCE``: the tables SOURCE's follow covers, one per line (from the
    control schema; connections from the environment, TRIBUTARY_CONN_<ID>, as scripts/demo.sh has them)."""
    import argparse
    import os
    import sys

    import psycopg2

    from tributary import connections

    parser = argparse.ArgumentParser(prog="python -m tributary.follow")
    parser.add_argument("--tables", metavar="SOURCE", required=True)
    args = parser.parse_args(argv)
    s = Settings.of(config.load())
    conn = psycopg2.connect(os.environ[connections.env_name(s.control)])
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT unnest(tables) FROM {_t(s, 'follow_slots')} WHERE source = %s AND slot_name = %s"
                        " AND state = 'released'", (args.tables, slot_name(args.tables)))
            tables = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    if not tables:
        print(f"{args.tables} has no follow set up (tributary_follow)", file=sys.stderr)
        return 1
    print("\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
