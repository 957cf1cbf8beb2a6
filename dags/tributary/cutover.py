"""Phase 5: cutover and rollback, by switching the applications' PgBouncer entry (docs/runbooks/cutover.md).

The applications reach each source through PgBouncer, one ``[databases]`` entry per source. A cutover:

1. pre-checks, which change nothing: the source's follower exists and is idle, every followed table is verified
   in the control schema (``table_status``: copied, both checksums equal), a catch-up pass of ``tributary follow``
   leaves the follower within ``cutover.max_lag_bytes`` of the source, the dual run's last reconciliation passes
   confirmed no mismatch, and the source's frequent read-only statements replayed on both sides are not slower on
   the consolidated database by more than ``cutover.replay.max_slowdown`` (dags/tributary/replay.py);
2. the freeze, in one task so that a failure anywhere in it is handled in one place: ``PAUSE <db>`` (clients wait,
   they are not refused), drain the follower to the source's current position, verify every followed table
   (row count + checksum computed independently by each database, ``tributary checksum``), set the target's
   sequences past the source's, create the reverse slot on the consolidated database (so every write made there
   from now on can flow back), rewrite the entry to the consolidated database, ``RELOAD``, ``RESUME``. Every worker
   process the freeze uses is started before ``PAUSE`` and waits, ready, for its cue (``--start-file``);
3. after the freeze: the forward slot is dropped, the switch is recorded.

A failure after ``PAUSE`` always ends with ``RESUME`` toward the side that has every write: before the entry is
rewritten that is the source (nothing was written elsewhere); once ``RELOAD`` took the new entry it is the
consolidated database. A rollback is the same with the roles reversed (the reverse stream is a ``tributary follow``
whose source is the consolidated database and whose target, holding its own control schema, is the source).

The PAUSE-to-RESUME time is measured here and recorded in ``cutover_switches`` (control schema), XCom and the log.
Secrets: connection URIs are only read from Airflow connections and handed to psycopg2 or the worker's
environment; PgBouncer's admin password likewise. Nothing here logs a URI.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urlsplit

import yaml

from tributary import config, connections, names, replay, worker

log = logging.getLogger(__name__)

CUTOVER, ROLLBACK = "cutover", "rollback"
# The rollback stream's own control schema, kept in the source it applies into (follow records its position in
# the target's transaction). Its slot and publication on the consolidated database:
REVERSE_CONTROL_SCHEMA = "tributary_rollback"


def reverse_slot(source: str) -> str:
    return f"tributary_back_{source}"[:63]


class PreCheckFailed(Exception):
    """A pre-check did not pass: nothing was changed."""


# ---------------------------------------------------------------------------------------------------------------
# settings


@dataclass(frozen=True)
class Settings:
    consolidated: str
    control: str
    control_schema: str
    pgbouncer: str
    databases_file: str
    max_lag_bytes: int
    hold_days: float
    entries: dict[str, str]  # source id -> PgBouncer database name

    @classmethod
    def of(cls, cfg: config.MigrationConfig) -> "Settings":
        raw = cfg.raw.get("cutover") or {}
        entries = {s: s for s in cfg.source_ids}
        entries.update({e["source"]: e.get("pgbouncer_database", e["source"]) for e in raw.get("sources", [])})
        return cls(
            consolidated=cfg.consolidated_connection,
            control=cfg.control_connection,
            control_schema=cfg.raw["control"].get("schema", "tributary"),
            pgbouncer=raw.get("pgbouncer_connection", "pgbouncer"),
            databases_file=raw.get("databases_file") or os.environ.get("TRIBUTARY_PGBOUNCER_DATABASES", ""),
            max_lag_bytes=int(raw.get("max_lag_bytes", 16 * 1024 * 1024)),
            hold_days=float(raw.get("decommission_hold_days", 14)),
            entries=entries,
        )

    def connection_ids(self, sources: list[str]) -> list[str]:
        return sorted({self.consolidated, self.control, self.pgbouncer, *sources})


def _uri(conn_id: str) -> str:
    return connections.worker_env([conn_id])[connections.env_name(conn_id)]


def _connect(conn_id: str):
    import psycopg2

    conn = psycopg2.connect(_uri(conn_id), application_name="tributary-cutover", connect_timeout=10)
    conn.autocommit = True
    return conn


def _query(conn, sql: str, args: tuple = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []


# ---------------------------------------------------------------------------------------------------------------
# PgBouncer: the admin console speaks the simple-query protocol only (psycopg2 without parameters does), and its
# [databases] file, rewritten atomically; RELOAD makes it take effect.


class Bouncer:
    def __init__(self, conn_id: str, databases_file: str):
        if not databases_file:
            raise PreCheckFailed("cutover.databases_file is not set and TRIBUTARY_PGBOUNCER_DATABASES is empty:"
                                 " the switch needs PgBouncer's [databases] file")
        self.path = Path(databases_file)
        self.console = _connect(conn_id)

    def close(self) -> None:
        self.console.close()

    def command(self, verb: str, database: str | None = None) -> None:
        # Names are checked against [databases] first, so nothing but a known entry name reaches the console.
        _query(self.console, f"{verb} {database}" if database else verb)

    def databases(self) -> dict[str, dict[str, Any]]:
        with self.console.cursor() as cur:
            cur.execute("SHOW DATABASES")
            cols = [d[0] for d in cur.description]
            return {row[0]: dict(zip(cols, row)) for row in cur.fetchall()}

    def pause(self, database: str) -> None:
        if int(self.databases()[database].get("paused") or 0) == 0:
            self.command("PAUSE", database)

    def resume(self, database: str) -> None:
        if int(self.databases()[database].get("paused") or 0) == 1:
            self.command("RESUME", database)

    def entry(self, database: str) -> str | None:
        for line in self.path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip() == database:
                return value.strip()
        return None

    def point(self, database: str, conn_id: str) -> None:
        """Rewrite ``database``'s entry to the database of connection ``conn_id`` (host, port, dbname: never a
        password; PgBouncer authenticates to the server with its userlist), then RELOAD."""
        value = entry_for(conn_id)
        lines, found = [], False
        for line in self.path.read_text().splitlines():
            name, sep, _ = line.partition("=")
            if sep and name.strip() == database and not line.lstrip().startswith(";"):
                line, found = f"{database} = {value}", True
            lines.append(line)
        if not found:
            raise PreCheckFailed(f"PgBouncer's {self.path} has no entry {database}")
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        os.chmod(tmp, self.path.stat().st_mode)
        os.replace(tmp, self.path)  # whole or not at all
        self.command("RELOAD")


def entry_for(conn_id: str) -> str:
    split = urlsplit(_uri(conn_id))
    return f"host={split.hostname} port={split.port or 5432} dbname={unquote(split.path.lstrip('/'))}"


def serving(bouncer: Bouncer, database: str, consolidated: str) -> str:
    """Which side PgBouncer sends ``database``'s applications to: 'consolidated' or 'source'."""
    return "consolidated" if bouncer.entry(database) == entry_for(consolidated) else "source"


# ---------------------------------------------------------------------------------------------------------------
# the followed tables, their verification and sequences


@dataclass
class Stream:
    """One direction of one source's change stream: `follow` arguments and config."""

    source: str  # the follow's --source
    target: str
    slot: str
    tables: dict[str, str]  # source table -> target table (qualified names)
    config_file: str

    def follow(self, *extra: str) -> dict:
        argv = ["follow", "--config", self.config_file, "--source", self.source, "--slot", self.slot]
        for table in sorted(self.tables):
            argv += ["--table", table]
        return worker.run([*argv, *extra], [self.source, self.target])


def forward_stream(s: Settings, source: str) -> Stream:
    """The follow from ``source`` into the consolidated database, as `tributary follow --prepare` recorded it."""
    slot = f"tributary_{source}"
    ctl = _connect(s.control)
    try:
        found = _query(ctl, f"SELECT tables, state FROM {_t(s, 'follow_slots')} WHERE source = %s AND slot_name = %s",
                       (source, slot))
        if not found or found[0][1] != "released":
            state = found[0][1] if found else "none"
            raise PreCheckFailed(f"{source}: no follower to drain (slot {slot} is {state}; start with tributary follow"
                                 " --prepare, copy in its snapshot, --release)")
        tables = {}
        for table in found[0][0]:
            row = _query(ctl, f"SELECT target_table, status, source_checksum, target_checksum FROM {_t(s, 'table_status')}"
                              " WHERE source = %s AND source_table = %s AND target = %s", (source, table, s.consolidated))
            if not row or row[0][1] != "copied" or row[0][2] is None or row[0][2] != row[0][3]:
                raise PreCheckFailed(f"{source}: table {table} is not verified in the control schema"
                                     f" ({row[0][1] if row else 'never copied'}): copy it again before the cutover")
            tables[table] = row[0][0]
        _refuse_merged(ctl, s, source, tables)
    finally:
        ctl.close()
    return Stream(source, s.consolidated, slot, tables, worker.config_path_for_worker())


def _refuse_merged(ctl, s: Settings, source: str, tables: dict[str, str]) -> None:
    """A table several sources were merged into cannot be switched yet: the reverse stream would send every
    source's rows (with their remapped keys) back into this one; routing by origin column is not built."""
    (resolved,), = _query(ctl, "SELECT to_regclass(%s) IS NOT NULL", (f'"{s.control_schema}".key_offsets',))
    if not resolved:
        return
    merged = [t for t in tables.values() if _query(
        ctl, f"SELECT 1 FROM {_t(s, 'key_offsets')} WHERE target = %s AND target_table = %s AND source <> %s LIMIT 1",
        (s.consolidated, t, source))]
    if merged:
        raise PreCheckFailed(f"{source}: {', '.join(sorted(merged))} merged from several sources: cutover and rollback"
                             " of merged tables are not supported yet (the reverse stream cannot route changes back"
                             " by origin); switch only sources whose tables are their own")


def reverse_stream(s: Settings, source: str, tables: dict[str, str], workdir: str) -> Stream:
    """The follow from the consolidated database back into ``source`` (rollback). Its config is derived from
    migration.yaml, the same in every task: the consolidated database as the only source, ``source`` as target and
    control connection (follow records its position in the target's own transaction)."""
    back = {t: s_ for s_, t in tables.items()}
    cfg = {
        "version": 1,
        "project": "tributary-rollback",
        "control": {"connection": source, "schema": REVERSE_CONTROL_SCHEMA},
        "sources": [{"id": s.consolidated}],
        "targets": {"consolidated": {"connection": source}},
        "consolidate": {"tables": [{"source": s.consolidated, "table": t, "target_table": src}
                                   for t, src in sorted(back.items())]},
    }
    path = Path(workdir) / f"rollback-{source}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return Stream(s.consolidated, source, reverse_slot(source), back, str(path))


def _t(s: Settings, table: str) -> str:
    return f'"{s.control_schema}"."{table}"'


def warm_checksums(stream: Stream, side: str, tmp: str) -> dict[str, "WarmWorker"]:
    """One side's row count and checksum of every followed table, computed by that database (`tributary checksum`):
    each process started now and computing once told to go (its snapshot is taken then, not at its start)."""
    conn_id = stream.source if side == "source" else stream.target
    tables = {t: (t if side == "source" else stream.tables[t]) for t in stream.tables}
    return {t: WarmWorker(tmp, lambda start, table=table: worker.run(
        ["checksum", "--conn", conn_id, "--table", table, "--start-file", str(start)], [conn_id])).start()
        for t, table in tables.items()}


def figures_of(checksums: dict[str, "WarmWorker"]) -> dict[str, dict]:
    return {t: {"rows": r.get("rows"), "checksum": r.get("checksum")}
            for t, r in ((t, w.result()) for t, w in checksums.items())}


class InBackground:
    """``fn()`` in a thread from now on; ``result()`` waits for it (and raises what it raised)."""

    def __init__(self, fn):
        self.value, self.error = None, None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn) -> None:
        try:
            self.value = fn()
        except BaseException as exc:  # reported by result()
            self.error = exc

    def result(self, timeout: float = 600):
        self.thread.join(timeout)
        if self.error:
            raise self.error
        return self.value


class WarmWorker:
    """A worker command started before the freeze with ``--start-file``: its JVM start, connections and checks happen
    before PAUSE; it writes ``<start file>.ready`` (its process id) and does its step only once told to go, so the
    freeze holds no process start. ``run(start_file)`` is the blocking worker call."""

    _count = 0

    def __init__(self, tmp: str, run):
        WarmWorker._count += 1
        self.start_file = Path(tmp) / f"warm-{WarmWorker._count}.start"
        self.ready_file = Path(f"{self.start_file}.ready")
        self.run = run
        self.value: dict | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=self.start_file.name, daemon=True)

    def _run(self) -> None:
        try:
            self.value = self.run(self.start_file)
        except BaseException as exc:  # reported by wait_ready()/result()
            self.error = exc

    def start(self) -> "WarmWorker":
        self.thread.start()
        return self

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if not self.thread.is_alive():
                raise self.error or RuntimeError(f"{self.start_file.name}: the worker ended before it was ready")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.start_file.name}: the worker was not ready within {timeout} s")
            time.sleep(0.02)

    def go(self) -> None:
        self.start_file.touch()

    def result(self, timeout: float = 600) -> dict:
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise RuntimeError(f"{self.start_file.name}: the worker did not finish within {timeout} s")
        if self.error:
            raise self.error
        return self.value

    def cancel(self) -> None:
        """Never told to go (a failure came first): SIGTERM it, it does nothing more."""
        if self.start_file.exists() or not self.thread.is_alive():
            return
        deadline = time.monotonic() + 60  # one still starting is waited for: it must not wait for a cue alone
        while not self.ready_file.exists() and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.thread.is_alive():
            return
        try:
            os.kill(int(self.ready_file.read_text().strip()), signal.SIGTERM)
        except (OSError, ValueError):  # not ready yet: it gives up by itself after its longest wait
            log.warning("%s: could not stop the waiting worker", self.start_file.name)
            return
        self.thread.join(timeout=60)


def compare(stream: Stream, source: dict[str, dict], target: dict[str, dict]) -> dict[str, dict]:
    """Both databases' figures must agree for every followed table (exit-3 meaning otherwise)."""
    figures = {t: {"source": source[t], "target": target[t]} for t in stream.tables}
    bad = [t for t, f in figures.items() if f["source"] != f["target"]]
    if bad:
        raise worker.WorkerRejected(f"{stream.source} -> {stream.target}: {', '.join(sorted(bad))} differ after the"
                                    f" drain: {json.dumps({t: figures[t] for t in bad})}", worker.EXIT_VERIFICATION)
    return figures


class WarmFollower:
    """`tributary follow` started before the freeze and stopped by a stop file once drained. Drained: the source's
    slot has confirmed a position at or past the source's WAL position taken after PAUSE (the follower confirms only
    what the target has committed, or, with nothing pending, what the server has read for it)."""

    def __init__(self, stream: Stream, tmp: str):
        self.stream = stream
        self.stop = Path(tmp) / f"{stream.slot}.drain.stop"
        self.result: dict | None = None
        self.error: BaseException | None = None
        self.conn = None  # the drain's watch on the source's slot, opened before PAUSE
        self.thread = threading.Thread(target=self._run, name=f"follow-{stream.source}", daemon=True)

    def _run(self) -> None:
        try:
            self.result = self.stream.follow("--stop-file", str(self.stop), "--batch-seconds", "0.05")
        except BaseException as exc:  # reported by drain()/close()
            self.error = exc

    def start(self) -> "WarmFollower":
        self.stop.unlink(missing_ok=True)
        self.thread.start()
        return self

    def _slot(self, conn) -> tuple:
        rows = _query(conn, "SELECT active, confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s",
                      (self.stream.slot,))
        return rows[0] if rows else (False, None)

    def _alive(self) -> None:
        if not self.thread.is_alive():
            raise self.error or RuntimeError(f"the follower of {self.stream.source} ended early: {self.result}")

    def wait_streaming(self, timeout: float = 300) -> None:
        conn = _connect(self.stream.source)
        try:
            deadline = time.monotonic() + timeout
            while not self._slot(conn)[0]:
                self._alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the follower of {self.stream.source} did not start streaming")
                time.sleep(0.1)
        finally:
            conn.close()

    def _reach_current(self, conn, timeout: float) -> str:
        """Waits until the slot has confirmed the source's current WAL position (taken now); returns it."""
        (mark,), = _query(conn, "SELECT pg_current_wal_lsn()::text")
        deadline = time.monotonic() + timeout
        while True:
            self._alive()
            done = _query(conn, "SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots"
                                " WHERE slot_name = %s", (mark, self.stream.slot))
            if done and done[0][0]:
                return mark
            if time.monotonic() > deadline:
                raise RuntimeError(f"the follower of {self.stream.source} did not reach {mark} in {timeout} s")
            time.sleep(0.01)

    def catch_up(self, rounds: int = 3, timeout: float = 120) -> float:
        """Before PAUSE: the follower reaches the source's position, again and again (each round only waits for the
        writes made during the one before), so the drain inside the freeze waits only for the last moments.
        Opens the connection the drain reuses. Returns the last round's seconds."""
        self.conn = _connect(self.stream.source)
        took = 0.0
        for _ in range(rounds):
            began = time.monotonic()
            self._reach_current(self.conn, timeout)
            took = time.monotonic() - began
        return round(took, 3)

    def drain(self, timeout: float = 600) -> str:
        """Inside the freeze (after PAUSE): the source's position now is final; once the slot confirms it, every
        acknowledged write is in the target. The follower is then told to stop (it has nothing left to apply)."""
        mark = self._reach_current(self.conn, timeout)
        self.stop.touch()
        return mark

    def close(self) -> None:
        self.stop.touch()
        self.thread.join(timeout=120)
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.error:
            raise self.error


def _regclass_text(table: str) -> str:
    """schema.table as PostgreSQL parses a regclass: both parts always double-quoted (odd names stay exact)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in names.split_table(table))


# Each column's sequence: an identity or OWNED BY one, else the one its default depends on (nextval('...')).
SEQUENCES_SQL = """
SELECT a.attname, coalesce(pg_get_serial_sequence(%(t)s, a.attname),
       (SELECT d.refobjid::regclass::text FROM pg_attrdef ad
          JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
          JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
         WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum LIMIT 1))
FROM pg_attribute a
WHERE a.attrelid = %(t)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""


def _sequences(conn, table: str) -> dict[str, str]:
    return {column: seq for column, seq in _query(conn, SEQUENCES_SQL, {"t": table}) if seq}


def _next_value(conn, sequence: str) -> int:
    (last, called, step), = _query(conn, f"SELECT last_value, is_called, (SELECT increment_by FROM pg_sequences"
                                         f" WHERE format('%%I.%%I', schemaname, sequencename)::regclass = %s::regclass)"
                                         f" FROM {sequence}", (sequence,))
    return last + (step if called else 0)


def sequence_pairs(stream: Stream) -> list[tuple[str, str]]:
    """(source sequence, target sequence) of every column of a followed table that has one, from both catalogs
    (read before the freeze: a DDL change during follow stops the follower anyway)."""
    src, dst = _connect(stream.source), _connect(stream.target)
    pairs = []
    try:
        for table, target_table in sorted(stream.tables.items()):
            qs, qt = _regclass_text(table), _regclass_text(target_table)
            target_sequences = _sequences(dst, qt)
            for column, sequence in _sequences(src, qs).items():
                target_seq = target_sequences.get(column)
                if target_seq is None:
                    raise worker.WorkerRejected(f"{target_table}.{column} has no sequence on {stream.target}"
                                                f" while {table}.{column} does on {stream.source}", worker.EXIT_BAD_INPUT)
                pairs.append((sequence, target_seq))
    finally:
        src.close()
        dst.close()
    return pairs


def sync_sequences(stream: Stream, pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Every sequence owned by a followed table: the target's next value at least the source's (never lowered)."""
    src, dst = _connect(stream.source), _connect(stream.target)
    done = {}
    try:
        for sequence, target_seq in pairs:
            wanted = _next_value(src, sequence)
            if _next_value(dst, target_seq) < wanted:
                _query(dst, "SELECT setval(%s, %s, false)", (target_seq, wanted))
            done[target_seq] = max(wanted, _next_value(dst, target_seq))
    finally:
        src.close()
        dst.close()
    return done


def lag_bytes(stream: Stream, s: Settings, control_conn_id: str, control_schema: str) -> int:
    """WAL bytes between the stream's source now and the position applied (follow_progress, else the start)."""
    src, ctl = _connect(stream.source), _connect(control_conn_id)
    try:
        (now,), = _query(src, "SELECT pg_current_wal_lsn()::text")
        row = _query(ctl, f'SELECT coalesce(p.applied_lsn, s.consistent_lsn)::text FROM "{control_schema}".follow_slots s'
                          f' LEFT JOIN "{control_schema}".follow_progress p USING (source, slot_name)'
                          " WHERE s.source = %s AND s.slot_name = %s", (stream.source, stream.slot))
        if not row:
            raise PreCheckFailed(f"no slot {stream.slot} of {stream.source} in the control schema")
        (lag,), = _query(src, "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint", (now, row[0][0]))
        return max(0, int(lag))
    finally:
        src.close()
        ctl.close()


def slot_busy(stream: Stream) -> bool:
    src = _connect(stream.source)
    try:
        row = _query(src, "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (stream.slot,))
        if not row:
            raise PreCheckFailed(f"replication slot {stream.slot} does not exist on {stream.source}")
        return bool(row[0][0])
    finally:
        src.close()


# ---------------------------------------------------------------------------------------------------------------
# the control schema's record of switches and of each source's life cycle


def lifecycle(s: Settings, source: str) -> dict[str, Any] | None:
    ctl = _connect(s.control)
    try:
        row = _query(ctl, f"SELECT state, serving, reverse_slot, switched_at FROM {_t(s, 'source_lifecycle')}"
                          " WHERE source = %s", (source,))
        return dict(zip(("state", "serving", "reverse_slot", "switched_at"), row[0])) if row else None
    finally:
        ctl.close()


def switched_away() -> dict[str, str]:
    """Sources cut over (or decommissioned): source -> state. The consolidated database serves their applications:
    nothing may copy them again (phase 2 leaves them out; tributary_rollback first)."""
    s = Settings.of(config.load())
    ctl = _connect(s.control)
    try:
        if not _query(ctl, "SELECT to_regclass(%s)", (_t(s, "source_lifecycle"),))[0][0]:
            return {}
        return dict(_query(ctl, f"SELECT source, state FROM {_t(s, 'source_lifecycle')} WHERE state <> 'live'"))
    finally:
        ctl.close()


def record(s: Settings, direction: str, sources: list[str], outcome: dict, run_id: str | None) -> None:
    ctl = _connect(s.control)
    try:
        _query(ctl, f"INSERT INTO {_t(s, 'cutover_switches')} (direction, sources, status, paused_at, resumed_at,"
                    " freeze_seconds, steps, error, airflow_run_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
               (direction, sources, outcome["status"], outcome.get("paused_at"), outcome.get("resumed_at"),
                outcome.get("freeze_seconds"), json.dumps(outcome.get("steps", {})), outcome.get("error"), run_id))
        if outcome.get("switched"):
            state, to = ("cut-over", s.consolidated) if direction == CUTOVER else ("live", None)
            for source in outcome["switched"]:
                _query(ctl, f"INSERT INTO {_t(s, 'source_lifecycle')} AS l (source, state, serving, reverse_slot,"
                            " switched_at) VALUES (%s, %s, %s, %s, now()) ON CONFLICT (source) DO UPDATE SET"
                            " state = EXCLUDED.state, serving = EXCLUDED.serving, reverse_slot = EXCLUDED.reverse_slot,"
                            " switched_at = EXCLUDED.switched_at, updated_at = now()",
                       (source, state, to or source, reverse_slot(source) if direction == CUTOVER else None))
    finally:
        ctl.close()


# ---------------------------------------------------------------------------------------------------------------
# the tasks


def select_sources(sources_param: str, direction: str) -> list[str]:
    """The sources of this run: the Param (comma-separated) or, when empty, every source the direction applies to
    (cutover: those with a released follower; rollback: those cut over). Unknown ids are refused."""
    s = Settings.of(config.load())
    wanted = [x.strip() for x in (sources_param or "").split(",") if x.strip()]
    unknown = [x for x in wanted if x not in s.entries]
    if unknown:
        raise PreCheckFailed(f"unknown source(s) {', '.join(unknown)} (declared: {', '.join(sorted(s.entries))})")
    if wanted:
        return wanted
    ctl = _connect(s.control)
    try:
        if direction == CUTOVER:
            rows = _query(ctl, f"SELECT source FROM {_t(s, 'follow_slots')} WHERE state = 'released'"
                               " AND slot_name = 'tributary_' || source ORDER BY source")
        else:
            rows = _query(ctl, f"SELECT source FROM {_t(s, 'source_lifecycle')} WHERE state = 'cut-over' ORDER BY source")
    finally:
        ctl.close()
    return [r[0] for r in rows]


def _streams(s: Settings, direction: str, sources: list[str], workdir: str) -> dict[str, Stream]:
    streams = {}
    for source in sources:
        life = lifecycle(s, source)
        if direction == CUTOVER and life and life["state"] != "live":
            raise PreCheckFailed(f"{source} is already {life['state']} (PgBouncer sends it to {life['serving']}):"
                                 " nothing to cut over")
        forward = forward_stream(s, source) if direction == CUTOVER else None
        if direction == ROLLBACK:
            if not life or life["state"] != "cut-over":
                raise PreCheckFailed(f"{source} is not cut over ({life['state'] if life else 'never switched'}):"
                                     " nothing to roll back")
            tables = _followed_tables(s, source)
            streams[source] = reverse_stream(s, source, tables, workdir)
        else:
            streams[source] = forward
    return streams


def _followed_tables(s: Settings, source: str) -> dict[str, str]:
    """The tables a source's forward follow covered (source -> target), from the control schema."""
    ctl = _connect(s.control)
    try:
        rows = _query(ctl, f"SELECT unnest(tables) FROM {_t(s, 'follow_slots')} WHERE source = %s AND slot_name = %s",
                      (source, f"tributary_{source}"))
        out = {}
        for (table,) in rows:
            (target,), = _query(ctl, f"SELECT target_table FROM {_t(s, 'table_status')} WHERE source = %s"
                                     " AND source_table = %s AND target = %s", (source, table, s.consolidated))
            out[table] = target
        return out
    finally:
        ctl.close()


@contextmanager
def _workdir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="tributary-cutover-") as tmp:
        yield tmp


def precheck(sources: list[str], direction: str) -> dict[str, Any]:
    """Changes nothing on the data (a catch-up follow pass only applies what the follower would anyway)."""
    s = Settings.of(config.load())
    if not sources:
        raise PreCheckFailed(f"no source to {direction}: give the sources Param")
    bouncer = Bouncer(s.pgbouncer, s.databases_file)
    report: dict[str, Any] = {"direction": direction, "sources": {}}
    try:
        known = bouncer.databases()
        with _workdir() as tmp:
            for source, stream in _streams(s, direction, sources, tmp).items():
                database = s.entries[source]
                if database not in known or bouncer.entry(database) is None:
                    raise PreCheckFailed(f"PgBouncer has no database {database} for {source}")
                side = serving(bouncer, database, s.consolidated)
                expected = "source" if direction == CUTOVER else "consolidated"
                if side != expected:
                    raise PreCheckFailed(f"{source}: PgBouncer's {database} already points at the {side} side:"
                                         f" nothing to {direction}")
                if slot_busy(stream):
                    raise PreCheckFailed(f"{source}: slot {stream.slot} is in use by a running follower: stop it"
                                         " (its --stop-file) before the cutover, which drains it itself")
                catch_up = stream.follow("--until-caught-up")
                ctl_conn = s.control if direction == CUTOVER else source
                ctl_schema = s.control_schema if direction == CUTOVER else REVERSE_CONTROL_SCHEMA
                lag = lag_bytes(stream, s, ctl_conn, ctl_schema)
                if lag > s.max_lag_bytes:
                    raise PreCheckFailed(f"{source}: follower {lag} bytes behind (> cutover.max_lag_bytes"
                                         f" {s.max_lag_bytes}): let it catch up first")
                report["sources"][source] = {"tables": stream.tables, "lag_bytes": lag, "database": database,
                                             "caught_up_at": catch_up.get("last_lsn")}
                if direction == CUTOVER:
                    report["sources"][source]["reconciled"] = reconciliation_clean(s, source)
                    report["sources"][source]["replay"] = replay_check(s, source)
                log.info("%s pre-check passed: %d tables verified, follower %d bytes behind", source,
                         len(stream.tables), lag)
    finally:
        bouncer.close()
    return report


def reconciliation_clean(s: Settings, source: str) -> dict[str, Any]:
    """The dual run's last reconciliation pass of each table (tributary_reconcile) must have confirmed no mismatch.
    Tables never reconciled do not fail it: the freeze verifies every table anyway."""
    ctl = _connect(s.control)
    try:
        if not _query(ctl, "SELECT to_regclass(%s)", (_t(s, "reconcile_passes"),))[0][0]:
            return {"tables": 0}
        rows = _query(ctl, f"SELECT DISTINCT ON (source_table) source_table, confirmed, finished_at::text FROM"
                           f" {_t(s, 'reconcile_passes')} WHERE source = %s ORDER BY source_table, pass_id DESC", (source,))
    finally:
        ctl.close()
    bad = {table: confirmed for table, confirmed, _ in rows if confirmed}
    if bad:
        raise PreCheckFailed(f"{source}: the last reconciliation pass confirmed mismatches in "
                             + ", ".join(f"{t} ({n})" for t, n in sorted(bad.items()))
                             + ": fix them and run tributary_reconcile with full = true (docs/runbooks/reconcile.md)")
    return {"tables": len(rows), "last_pass": max((r[2] for r in rows), default=None)}


def replay_check(s: Settings, source: str, run_id: str | None = None) -> dict[str, Any]:
    """The source's frequent read-only statements replayed on both sides (dags/tributary/replay.py), recorded in
    ``replay_checks``; fails the pre-check when the consolidated side is slower and ``on_slower`` is ``fail``."""
    rs = replay.Settings.of(config.load())
    if not rs.enabled:
        return {"verdict": "skipped", "note": "cutover.replay.enabled is false"}
    src, cons, ctl = _connect(source), _connect(s.consolidated), _connect(s.control)
    try:
        result = replay.compare(src, cons, replay.migrated_tables(ctl, s.control_schema, source, s.consolidated), rs)
        replay.record(ctl, s.control_schema, source, result, run_id)
    finally:
        for c in (src, cons, ctl):
            c.close()
    line = replay.summary_line(source, result)
    if result["verdict"] == "slower" and rs.on_slower == "fail":
        raise PreCheckFailed(line + " (cutover.replay.on_slower: fail; docs/runbooks/cutover.md#replay)")
    (log.warning if result["verdict"] != "ok" else log.info)("%s", line)
    return result


def freeze_and_switch(sources: list[str], direction: str, run_id: str | None = None) -> dict[str, Any]:
    """PAUSE → drain → verify → sequences → (cutover: reverse slot) → switch + RELOAD → RESUME, measured.

    Every worker process the freeze needs is started before PAUSE and waits, ready, for its cue: the follower
    (warm, streaming), each side's checksum of each table and, for a cutover, the reverse slot's `follow --prepare`
    (both with --start-file). Inside the freeze: the source side's checksums start at once (PAUSE leaves it still),
    the target's once the drain is done, the reverse slot once the follower has stopped."""
    s = Settings.of(config.load())
    bouncer = Bouncer(s.pgbouncer, s.databases_file)
    steps: dict[str, float] = {}
    outcome: dict[str, Any] = {"direction": direction, "sources": sources, "status": "failed"}
    switched: list[str] = []
    warm: dict[str, WarmFollower] = {}
    standing: list[WarmWorker] = []  # started before PAUSE: each is told to go, or cancelled in the end
    paused_at = t0 = None

    def step(name: str, fn, *args):
        start = time.monotonic()
        try:
            return fn(*args)
        finally:
            steps[name] = round(steps.get(name, 0) + time.monotonic() - start, 3)

    # Torn down only after RESUME (the finally below).
    tmp = tempfile.mkdtemp(prefix="tributary-cutover-")
    try:
        streams = _streams(s, direction, sources, tmp)
        to = {x: (s.consolidated if direction == CUTOVER else x) for x in sources}  # who serves after the switch
        warm_up = time.monotonic()
        warm = {source: WarmFollower(stream, tmp).start() for source, stream in streams.items()}
        sums = {x: {side: warm_checksums(st, side, tmp) for side in ("source", "target")} for x, st in streams.items()}
        standing += [w for both in sums.values() for side in both.values() for w in side.values()]
        reverse = {}
        if direction == CUTOVER:
            reverse = {x: _warm_reverse_slot(reverse_stream(s, x, st.tables, tmp), tmp) for x, st in streams.items()}
            standing += reverse.values()
        pairs = {x: sequence_pairs(st) for x, st in streams.items()}
        for waiting in standing:
            waiting.wait_ready()
        for source, follower in warm.items():
            follower.wait_streaming()
            outcome.setdefault("last_catch_up_seconds", {})[source] = follower.catch_up()
        outcome["warm_up_seconds"] = round(time.monotonic() - warm_up, 3)

        paused_at = datetime.now(timezone.utc)
        t0 = time.monotonic()
        for source in sources:
            step("pause", bouncer.pause, s.entries[source])
        # PAUSE returns once no transaction is open: the stream's source side is still from here on (its checksums
        # go, and its sequences are final: the target's are set meanwhile, nothing else writes them).
        for source in sources:
            for w in sums[source]["source"].values():
                w.go()
        sequencing = {x: InBackground(lambda st=st, x=x: sync_sequences(st, pairs[x])) for x, st in streams.items()}
        for source, follower in warm.items():
            outcome.setdefault("drained_to", {})[source] = step("drain", follower.drain)
            # The target has committed every change up to the source's position after PAUSE, and the follower has
            # nothing left to apply (it only ends, in parallel): its figures are final, and the consolidated
            # database's position now is where the reverse stream must start.
            for w in sums[source]["target"].values():
                w.go()
            if source in reverse:
                reverse[source].go()
        figures, sequences = {}, {}
        for source, follower in warm.items():
            step("follower stop", follower.close)
        for source, stream in streams.items():
            # the wait for both sides' checksums counts as verification time
            figures[source] = step("verify", lambda: compare(stream, figures_of(sums[source]["source"]),
                                                            figures_of(sums[source]["target"])))
            sequences[source] = step("sequences", sequencing[source].result)
        for made in reverse.values():
            step("reverse slot", made.result)
        for source in sources:
            step("switch", bouncer.point, s.entries[source], to[source])
            switched.append(source)
        outcome.update(status="switched", verified=figures, sequences=sequences)
    except BaseException as exc:
        outcome["error"] = str(exc)[:2000]
        # Toward the side with every write: an entry not yet rewritten still points there; one rewritten (RELOAD
        # done) points at the side that was verified equal, drained, and has taken the writes since.
        if not switched:
            outcome["status"] = "resumed-unswitched" if paused_at else "failed"
        raise
    finally:
        try:
            for source in sources:
                if paused_at is not None:
                    bouncer.resume(s.entries[source])
        finally:
            for follower in warm.values():
                follower.stop.touch()  # a warm follower still running ends after its current transaction
            if t0 is not None:
                outcome["freeze_seconds"] = round(time.monotonic() - t0, 3)
                outcome["paused_at"] = paused_at.isoformat()
                outcome["resumed_at"] = datetime.now(timezone.utc).isoformat()
            outcome["steps"] = steps
            outcome["switched"] = switched
            bouncer.close()
            for waiting in standing:
                waiting.cancel()
            for waiting in standing:
                waiting.thread.join(timeout=120)
            for follower in warm.values():
                follower.thread.join(timeout=120)
                if follower.conn is not None:
                    follower.conn.close()
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                record(s, direction, sources, outcome, run_id)
            except Exception:  # the freeze is over either way; the log still has the figures
                log.exception("could not record the %s in the control schema", direction)
            log.info("%s of %s: %s; write freeze (PAUSE to RESUME) %.3f s; steps %s; warm-up before PAUSE %s s",
                     direction, ", ".join(sources), outcome["status"], outcome.get("freeze_seconds") or 0,
                     json.dumps(steps), outcome.get("warm_up_seconds"))
    return outcome


def _warm_reverse_slot(stream: Stream, tmp: str) -> WarmWorker:
    """`follow --prepare` of the reverse stream, started before PAUSE: it checks the consolidated database, creates
    the publication and connects, then waits; told to go inside the freeze (writes paused, the target just drained)
    it creates the slot at that very position, records it in the source's own control schema and, its stop file
    being there already, releases it at once (both sides are equal: no copy needs its snapshot). A slot left by a
    failed earlier attempt may have decoded the forward drain's writes: it is dropped first, before PAUSE."""
    cons = _connect(stream.source)
    try:
        exists = _query(cons, "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (stream.slot,))
    finally:
        cons.close()
    if exists:
        stream.follow("--until-lsn", "0/0", "--drop-slot")
    stop = Path(tmp) / f"{stream.slot}.stop"
    stop.touch()
    return WarmWorker(tmp, lambda start: stream.follow("--prepare", "--stop-file", str(stop),
                                                      "--start-file", str(start))).start()


# The materialized views reading any of the given tables, directly or through views and other materialized views,
# shallowest first (one over another comes after it): those populated on this side or named in %(also)s (populated
# on the side being left); any other stays unpopulated, as it was there. CONCURRENTLY needs a populated view with a
# plain unique index (no predicate, no expression), and keeps the view readable meanwhile.
VIEW_READERS_SQL = """
WITH RECURSIVE readers(oid, depth) AS (
    SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
     WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
       AND d.refobjid = ANY(%(tables)s::regclass[]) AND r.ev_class <> d.refobjid
    UNION
    SELECT r.ev_class, x.depth + 1 FROM readers x
      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid = x.oid
      JOIN pg_rewrite r ON r.oid = d.objid
     WHERE r.ev_class <> x.oid AND x.depth < 64)
SELECT format('%%I.%%I', n.nspname, c.relname), max(x.depth),
       c.relispopulated AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique
                AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL)
  FROM readers x JOIN pg_class c ON c.oid = x.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'm' AND (c.relispopulated OR format('%%I.%%I', n.nspname, c.relname) = ANY(%(also)s::text[]))
 GROUP BY c.oid, n.nspname, c.relname ORDER BY 2, 1"""


def refresh_materialized_views(conn, tables: Iterable[str], also: Iterable[str] = ()) -> list[dict[str, Any]]:
    """REFRESH each materialized view over ``tables`` on this side that is populated here or named in ``also``,
    in dependency order."""
    refreshed = []
    for view, _depth, unique in _query(conn, VIEW_READERS_SQL, {"tables": [_regclass_text(t) for t in tables],
                                                                "also": list(also)}):
        start = time.monotonic()
        _query(conn, f"REFRESH MATERIALIZED VIEW {'CONCURRENTLY ' if unique else ''}{view}")
        refreshed.append({"view": view, "concurrently": unique, "seconds": round(time.monotonic() - start, 3)})
        log.info("refreshed %s%s in %.3f s", view, " concurrently" if unique else "", refreshed[-1]["seconds"])
    return refreshed


def refresh_views(outcome: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """After the switch, outside the freeze: the materialized views over the followed tables on the side now
    serving are refreshed. Logical decoding carries rows, never a REFRESH, so that side's views still hold what
    they held when its schema was made (cutover) or at the last switch (rollback); the application's own refresh
    schedule takes over from here. A schema restored without data leaves every materialized view unpopulated, so a
    view populated on the side being left is filled here too (matched by its qualified name)."""
    s = Settings.of(config.load())
    refreshed = {}
    for source in outcome.get("switched") or []:
        tables = _followed_tables(s, source)
        serving, names, left, left_names = (s.consolidated, tables.values(), source, tables.keys()) \
            if outcome["direction"] == CUTOVER else (source, tables.keys(), s.consolidated, tables.values())
        conn = _connect(left)
        try:  # the views populated there (with no name in also, the query lists only populated ones)
            populated = [row[0] for row in _query(conn, VIEW_READERS_SQL, {
                "tables": [_regclass_text(t) for t in left_names], "also": []})]
        finally:
            conn.close()
        conn = _connect(serving)
        try:
            refreshed[source] = refresh_materialized_views(conn, names, populated)
        finally:
            conn.close()
    return refreshed


def _slot_state(s: Settings, source: str) -> str | None:
    ctl = _connect(s.control)
    try:
        rows = _query(ctl, f"SELECT state FROM {_t(s, 'follow_slots')} WHERE source = %s AND slot_name = %s",
                      (source, f"tributary_{source}"))
        return rows[0][0] if rows else None
    finally:
        ctl.close()


def drop_slot(sources: list[str], direction: str) -> dict[str, Any]:
    """After the switch: the stream that fed the side now serving is no longer needed; drop its slot and
    publication (a forgotten slot pins WAL). The source, now frozen out, has nothing more to send."""
    s = Settings.of(config.load())
    dropped = {}
    with _workdir() as tmp:
        for source in sources:
            life = lifecycle(s, source)
            if direction == CUTOVER:
                if not life or life["state"] != "cut-over" or _slot_state(s, source) != "released":
                    continue  # not switched, or dropped already (a re-run)
                stream = forward_stream(s, source)
            else:
                if life and life["state"] == "cut-over":
                    continue
                stream = reverse_stream(s, source, _followed_tables(s, source), tmp)
            result = stream.follow("--until-caught-up", "--drop-slot")
            dropped[source] = {"slot": stream.slot, "dropped": result.get("slot_dropped"), "rows": result.get("rows")}
    return dropped


def decommission(hold_days: float | None = None) -> list[str]:
    """Sources cut over at least ``cutover.decommission_hold_days`` ago and not rolled back: marked decommissioned
    (their reverse slot, if still there, is what keeps rollback possible: drop it with the rollback runbook)."""
    s = Settings.of(config.load())
    hold = s.hold_days if hold_days is None else hold_days
    ctl = _connect(s.control)
    try:
        (switched,), = _query(ctl, "SELECT to_regclass(%s) IS NOT NULL", (_t(s, 'source_lifecycle'),))
        if not switched:  # no cutover has ever run against this control schema: nothing to decommission
            return []
        rows = _query(ctl, f"UPDATE {_t(s, 'source_lifecycle')} SET state = 'decommissioned', decommissioned_at = now(),"
                           " updated_at = now() WHERE state = 'cut-over' AND switched_at <= now() - make_interval(secs => %s)"
                           " RETURNING source", (hold * 86400,))
    finally:
        ctl.close()
    marked = sorted(r[0] for r in rows)
    if marked:
        log.info("decommissioned (cut over more than %s days ago): %s", hold, ", ".join(marked))
    return marked


def summary(pre: dict, outcome: dict, dropped: dict, refreshed: dict | None = None) -> dict[str, Any]:
    """The run's XCom: the freeze and what was verified (figures only, never a URI)."""
    return {"direction": outcome["direction"], "sources": outcome["sources"], "status": outcome["status"],
            "freeze_seconds": outcome.get("freeze_seconds"), "steps": outcome.get("steps"),
            "lag_bytes_before": {k: v["lag_bytes"] for k, v in pre.get("sources", {}).items()},
            "replay": {k: v["replay"] for k, v in pre.get("sources", {}).items() if "replay" in v},
            "verified": outcome.get("verified"), "slots_dropped": dropped, "views_refreshed": refreshed or {}}


# ---------------------------------------------------------------------------------------------------------------
# Airflow task bodies (the DAG files only declare them)


def _context() -> dict[str, Any]:
    from airflow.sdk import get_current_context

    return get_current_context()


def task_select(direction: str) -> list[str]:
    """The run's sources, less those already done: a re-run after success is a no-op (the run is skipped)."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    params = _context()["params"]
    chosen = _refuse_precheck(select_sources, params.get("sources") or "", direction)
    s = Settings.of(config.load())
    todo = []
    for source in chosen:
        state = (lifecycle(s, source) or {}).get("state", "live")
        if state == "decommissioned" and direction == ROLLBACK:
            raise AirflowFailException(f"pre-check failed, nothing changed: {source} is decommissioned:"
                                       " it can no longer be rolled back")
        if (direction == CUTOVER and state == "live") or (direction == ROLLBACK and state == "cut-over"):
            todo.append(source)
        else:
            log.info("%s is %s already: nothing to %s", source, state, direction)
    if not todo:
        raise AirflowSkipException(f"nothing to {direction}: {', '.join(chosen) or 'no source'} done already")
    return todo


def task_precheck(sources: list[str], direction: str) -> dict[str, Any]:
    return _refuse_precheck(precheck, sources, direction)


def task_freeze(sources: list[str], direction: str) -> dict[str, Any]:
    from airflow.sdk.exceptions import AirflowSkipException

    ctx = _context()
    if ctx["params"].get("dry_run"):
        raise AirflowSkipException(f"dry run: pre-checks passed for {', '.join(sources)}; no freeze, no switch")
    return freeze_and_switch(sources, direction, ctx.get("run_id"))


def task_finish(pre: dict, outcome: dict, dropped: dict, refreshed: dict) -> dict[str, Any]:
    result = summary(pre, outcome, dropped, refreshed)
    result["decommissioned"] = decommission()
    log.info("%s", json.dumps(result, indent=1, default=str))
    write_outcome(result, _context().get("run_id"))
    return result


def write_outcome(result: dict[str, Any], run_id: str | None = None) -> None:
    """reports/<direction>-outcome.json (the migration report's phase 5; ``python -m tributary.outcome`` prints it):
    one row per table verified inside the freeze, and lines for the freeze and where PgBouncer points now."""
    from tributary import outcome as outcome_table, paths

    rows = [{"table": table, "source": source, "rows": f["source"].get("rows"),
             "source_checksum": f["source"].get("checksum"), "target_checksum": f["target"].get("checksum"),
             "verified": f["source"] == f["target"]}
            for source, tables in sorted((result.get("verified") or {}).items()) for table, f in sorted(tables.items())]
    s = Settings.of(config.load())
    notes = [f"{result['direction']} of {', '.join(result['sources'])}: {result['status']}; write freeze (PAUSE to"
             f" RESUME) {result.get('freeze_seconds') or 0:.3f} s; {len(rows)} tables verified inside it"]
    views = [v["view"] for refreshed in (result.get("views_refreshed") or {}).values() for v in refreshed]
    if views:
        notes.append(f"materialized views refreshed after RESUME: {', '.join(views)}")
    bouncer = Bouncer(s.pgbouncer, s.databases_file)
    try:
        for source in result["sources"]:
            database = s.entries[source]
            notes.append(f"PgBouncer {database} -> {serving(bouncer, database, s.consolidated)} ({bouncer.entry(database)})")
    finally:
        bouncer.close()
    outcome_table.write_report(rows, paths.reports_dir() / f"{result['direction']}-outcome.json",
                               {"dag_id": f"tributary_{result['direction']}", "run_id": run_id, "notes": notes,
                                "freeze_seconds": result.get("freeze_seconds")})


def _refuse_precheck(fn, *args):
    """A failed pre-check fails the task without retries (it changed nothing; retrying cannot help)."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        return fn(*args)
    except PreCheckFailed as exc:
        raise AirflowFailException(f"pre-check failed, nothing changed: {exc}") from None
