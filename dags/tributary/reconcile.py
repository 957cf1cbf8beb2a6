"""Phase 5: reconciliation during the dual run (docs/runbooks/reconcile.md).

While ``tributary follow`` applies a source's changes to the consolidated database, the ``tributary_reconcile`` DAG
compares each followed table on both sides, on a schedule (``reconcile.schedule``):

- a **changed** pass compares only the rows written since the last pass, found by their row version: on each side,
  the rows whose ``xmin`` is at or after the oldest transaction of that database still running when the last pass
  read that side (``xid_horizon``). We chose ``xmin`` over the keys the follower applied (that would add a write per change
  to the follower's hot path and miss writes made to the target by anything else) and over key ranges (a random
  update touches every range): finding the changed rows is one scan with no row rendering, the cheap part of a
  checksum (FIELD-NOTES: ``count(*)`` 0.15 s against 4.7 s for the hashed rows), and only those rows are fetched.
  It sees inserts and updates on either side and rows the target gained; a delete that never reached the target
  leaves no row version anywhere, so only a full pass sees it;
- a **full** pass runs ``tributary diff`` (checksum bisection) over the whole table: the first pass of a table, every
  ``reconcile.full_every``-th pass, a changed pass with more than ``reconcile.max_changed_rows`` rows, or the
  ``full`` Param.

A live target lags its source: a row that differs may just not be applied yet. So a difference is only a
*candidate* until confirmed: the source rows are read (with their row version) in one snapshot, then
``pg_current_wal_lsn()`` there is P; once the follower's slot has confirmed P (it confirms only what the target has
committed: every change committed before P is in the target) the target rows are read, then the source rows again.
A key is **confirmed** when its source row version did not change between the two source reads and the target still
differs; it is **transient** when the target now agrees; when the source row moved meanwhile the round is repeated
(``reconcile.confirm_rounds``); what is still undecided, or waits longer than ``reconcile.confirm_timeout_seconds``
for the follower, is **unsettled**: counted, never reported as a mismatch.

Rows are compared as each database renders them (``to_jsonb`` of the compared columns, session ``TimeZone=UTC``,
numbers compared as decimals, so 1.50 and 1.5000 agree); full passes use the worker's checksums (``tributary diff``).
Each pass is a row of ``reconcile_passes`` in the control schema (``tributary status`` shows the last per table) and
its mismatch rate (confirmed / rows compared) is pushed to the Pushgateway (``tributary_reconcile_mismatch_rate``).
Read-only on both sides. Tables merged from several sources are skipped (``tributary diff`` with the merge's
projections covers them); tables without a primary key or replica-identity index too (no key to compare by).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from tributary import config, connections, names, pushgateway, worker

log = logging.getLogger(__name__)

MAX_LISTED = 100  # confirmed keys kept in reconcile_passes.mismatches and XCom
BATCH = 1000  # keys per fetch
_SESSION = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3; SET IntervalStyle = 'iso_8601'"
_VERSION = "__tributary_row_version"


@dataclass(frozen=True)
class Settings:
    schedule: str
    full_every: int
    confirm_timeout: float
    confirm_rounds: int
    max_changed_rows: int

    @classmethod
    def of(cls, cfg: config.MigrationConfig) -> "Settings":
        raw = cfg.raw.get("reconcile") or {}
        return cls(schedule=raw.get("schedule", "*/15 * * * *"), full_every=int(raw.get("full_every", 24)),
                   confirm_timeout=float(raw.get("confirm_timeout_seconds", 60)),
                   confirm_rounds=int(raw.get("confirm_rounds", 3)),
                   max_changed_rows=int(raw.get("max_changed_rows", 100_000)))


class NotReconcilable(Exception):
    """The table cannot be compared by this pass (no key, merged, gone): skipped with this reason."""


# ---------------------------------------------------------------------------------------------------------------
# connections and table shapes


def connect(uri: str):
    import psycopg2

    conn = psycopg2.connect(uri, application_name="tributary-reconcile", connect_timeout=10)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(_SESSION)
    return conn


def _query(conn, sql: str, args: Any = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else []


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _regclass_text(table: str) -> str:
    return ".".join(_ident(p) for p in names.split_table(table))


@dataclass(frozen=True)
class Pair:
    """A followed table and its target: the key (source's primary key or replica-identity index) and the compared
    columns (the source's stored columns the target also has, in source order)."""

    source_table: str
    target_table: str
    key: tuple[str, ...]
    key_types: tuple[str, ...]
    columns: tuple[str, ...]
    source_from: str
    target_from: str
    key_is_primary: bool = True  # else a replica-identity index: `tributary diff` must be told (--key)
    all_columns: bool = True  # the target has every source column: `tributary diff`'s default columns


_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
_KEY_SQL = """
SELECT a.attname, i.indisprimary FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s::regclass AND i.indisunique AND (i.indisprimary OR i.indisreplident)
ORDER BY i.indisprimary DESC, i.indexrelid, k.n
"""


def _relation(conn, table: str) -> str:
    rows = _query(conn, "SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", (_regclass_text(table),))
    if not rows:
        raise NotReconcilable(f"{table} does not exist")
    # A partitioned table holds no rows itself: read through its root (the follow publishes it that way).
    return ("" if rows[0][0] == "p" else "ONLY ") + _regclass_text(table)


def pair_of(src, tgt, source_table: str, target_table: str) -> Pair:
    source_from, target_from = _relation(src, source_table), _relation(tgt, target_table)
    scols = _query(src, _COLUMNS_SQL, (_regclass_text(source_table),))
    tcols = {name for name, _ in _query(tgt, _COLUMNS_SQL, (_regclass_text(target_table),))}
    types = dict(scols)
    key_rows = _query(src, _KEY_SQL, (_regclass_text(source_table),))
    if not key_rows:
        raise NotReconcilable(f"{source_table} has no primary key or replica-identity index to compare rows by")
    # the first index only (primary key first): its columns
    first: list[str] = []
    for name, _ in key_rows:
        if name in first:
            break
        first.append(name)
    missing = [k for k in first if k not in tcols]
    if missing:
        raise NotReconcilable(f"{target_table} lacks the key column(s) {', '.join(missing)}")
    columns = tuple(n for n, _ in scols if n in tcols)
    return Pair(source_table, target_table, tuple(first), tuple(types[k] for k in first), columns, source_from,
                target_from, key_is_primary=bool(key_rows[0][1]), all_columns=len(columns) == len(scols))


# ---------------------------------------------------------------------------------------------------------------
# reading rows


def _key_select(pair: Pair, alias: str = "t") -> str:
    return ", ".join(f"{alias}.{_ident(k)}::text" for k in pair.key)


def _key_filter(pair: Pair) -> str:
    cols = ", ".join(f"c{i}" for i in range(len(pair.key)))
    casts = ", ".join(f"CAST(x.c{i} AS {typ})" for i, typ in enumerate(pair.key_types))
    unnest = ", ".join("%s::text[]" for _ in pair.key)
    keys = ", ".join(_ident(k) for k in pair.key)
    return f"({keys}) IN (SELECT {casts} FROM unnest({unnest}) AS x({cols}))"


def read_rows(conn, pair: Pair, side: str, keys: list[tuple[str, ...]], versions: bool = False
              ) -> dict[tuple[str, ...], tuple[Any, str | None]]:
    """``key -> (row as a JSON value, row version)`` of the keys present on ``side`` ('source' or 'target'). The row
    version (``tableoid:ctid:xmin``) changes with every update, delete or re-insert of the row."""
    relation = pair.source_from if side == "source" else pair.target_from
    version = f", t.tableoid::text || ':' || t.ctid::text || ':' || t.xmin::text AS {_ident(_VERSION)}" if versions else ""
    sql = (f"SELECT {_key_select(pair, 'r')}, (to_jsonb(r) - %s)::text, {'r.' + _ident(_VERSION) if versions else 'NULL'}"
           f" FROM (SELECT {', '.join('t.' + _ident(c) for c in dict.fromkeys(pair.columns + pair.key))}{version}"
           f" FROM {relation} t WHERE {_key_filter(pair)}) AS r")
    out: dict[tuple[str, ...], tuple[Any, str | None]] = {}
    n = len(pair.key)
    for start in range(0, len(keys), BATCH):
        chunk = keys[start:start + BATCH]
        columns = [[k[i] for k in chunk] for i in range(n)]
        for row in _query(conn, sql, (_VERSION, *columns)):
            out[tuple(row[:n])] = (json.loads(row[n], parse_float=Decimal, parse_int=Decimal), row[n + 1])
    return out


@dataclass
class Snapshot:
    """One REPEATABLE READ READ ONLY transaction: every read in it sees the same data."""

    conn: Any

    def __enter__(self):
        _query(self.conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(self, *exc):
        _query(self.conn, "ROLLBACK")


# The oldest transaction of this database running in the current snapshot, else the snapshot's xmax (64-bit).
# A running xid is skipped only when it is known to belong to another database (pg_stat_activity, a prepared
# transaction): those cannot write this database's tables, and a long one (a report, a pg_dump of another database
# of the instance) would otherwise make every pass compare the same rows again. An xid that ended since the
# snapshot has no database left to read: it is kept, so its rows are compared again rather than missed.
_HORIZON = """
WITH other_databases AS (
    SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
     WHERE backend_xid IS NOT NULL AND datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT transaction::text::bigint FROM pg_prepared_xacts WHERE database <> current_database())
SELECT coalesce((SELECT min(x) FROM txid_snapshot_xip(s) AS x
                  WHERE x %% 4294967296 NOT IN (SELECT xid FROM other_databases)), txid_snapshot_xmax(s))
  FROM txid_current_snapshot() AS s"""


def xid_horizon(conn) -> int:
    """Every transaction of this database before this one had ended when the current snapshot was taken: a pass
    reading in this snapshot sees every row version they wrote (64-bit xid)."""
    (xid,), = _query(conn, _HORIZON)
    return int(xid)


def changed_keys(conn, pair: Pair, side: str, since_xid: int, limit: int) -> list[tuple[str, ...]]:
    """Keys of the rows whose version was written by a transaction at or after ``since_xid`` (xid comparison modulo
    2^32, as PostgreSQL compares xids; a frozen old row may come back as changed: compared once more, harmless)."""
    relation = pair.source_from if side == "source" else pair.target_from
    rows = _query(conn, f"SELECT {_key_select(pair)} FROM {relation} t WHERE"
                        " ((t.xmin::text::bigint - %s + 4294967296) %% 4294967296) < 2147483648 LIMIT %s",
                  (since_xid % 4294967296, limit + 1))
    return [tuple(r) for r in rows]


def source_position(conn) -> str:
    (lsn,), = _query(conn, "SELECT pg_current_wal_lsn()::text")
    return lsn


def wait_applied(src, slot: str, lsn: str, timeout: float) -> bool:
    """True once the follower's slot confirmed ``lsn``: the follower confirms a position only after the target
    committed every change before it (or, idle, what the server read for it). False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        rows = _query(src, "SELECT confirmed_flush_lsn >= %s::pg_lsn FROM pg_replication_slots WHERE slot_name = %s",
                      (lsn, slot))
        if not rows:
            raise NotReconcilable(f"replication slot {slot} does not exist: no follow to reconcile against")
        if rows[0][0]:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------------------------
# confirming differences past the follower's lag


@dataclass
class Verdict:
    compared: int = 0
    candidates: int = 0
    transient: int = 0
    unsettled: int = 0
    confirmed: dict[tuple[str, ...], dict] = field(default_factory=dict)
    source_lsn: str | None = None


def _kind(source: tuple | None, target: tuple | None) -> dict:
    if target is None:
        return {"kind": "missing_on_target"}
    if source is None:
        return {"kind": "extra_on_target"}
    s, t = source[0], target[0]
    return {"kind": "different", "columns": sorted(c for c in set(s) | set(t) if s.get(c) != t.get(c))}


def _same(source: tuple | None, target: tuple | None) -> bool:
    return (source is None) == (target is None) and (source is None or source[0] == target[0])


def differing(src, tgt, pair: Pair, keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The first, unsynchronised read: keys that differ now (lag included). Cheap; nothing waits."""
    with Snapshot(src):
        s = read_rows(src, pair, "source", keys)
    with Snapshot(tgt):
        t = read_rows(tgt, pair, "target", keys)
    return [k for k in keys if not _same(s.get(k), t.get(k))]


def confirm(src, tgt, slot: str, pair: Pair, keys: list[tuple[str, ...]], rounds: int, timeout: float) -> Verdict:
    """Each candidate key: confirmed, transient or unsettled (module doc)."""
    verdict = Verdict(candidates=len(keys))
    pending = list(keys)
    for _ in range(max(1, rounds)):
        if not pending:
            break
        with Snapshot(src):
            before = read_rows(src, pair, "source", pending, versions=True)
            position = source_position(src)
        verdict.source_lsn = position
        if not wait_applied(src, slot, position, timeout):
            log.warning("%s: the follower did not confirm %s within %.0f s: %d key(s) left unsettled",
                        pair.source_table, position, timeout, len(pending))
            break
        with Snapshot(tgt):
            target = read_rows(tgt, pair, "target", pending)
        with Snapshot(src):
            after = read_rows(src, pair, "source", pending, versions=True)
        moving = []
        for k in pending:
            b, a = before.get(k), after.get(k)
            if (b and b[1]) != (a and a[1]):
                moving.append(k)  # the source row changed meanwhile: the target may hold either; read again
            elif _same(b, target.get(k)):
                verdict.transient += 1
            else:
                verdict.confirmed[k] = _kind(b, target.get(k))
        pending = moving
    verdict.unsettled = len(pending)
    return verdict


# ---------------------------------------------------------------------------------------------------------------
# one pass of one table


@dataclass
class Ledger:
    """``reconcile_passes`` in the control schema (created by the worker's migrations)."""

    conn: Any
    schema: str

    def table(self) -> str:
        return f"{_ident(self.schema)}.reconcile_passes"

    def ready(self) -> bool:
        (found,), = _query(self.conn, "SELECT to_regclass(%s) IS NOT NULL", (self.table(),))
        return bool(found)

    def last(self, source: str, table: str) -> dict | None:
        rows = _query(self.conn, f"SELECT pass_id, mode, source_xid_next, target_xid_next FROM {self.table()}"
                                 " WHERE source = %s AND source_table = %s ORDER BY pass_id DESC LIMIT 1", (source, table))
        if not rows:
            return None
        pass_id, mode, sx, tx = rows[0]
        (since_full,), = _query(self.conn, f"SELECT count(*) FROM {self.table()} WHERE source = %s AND source_table = %s"
                                           f" AND pass_id > coalesce((SELECT max(pass_id) FROM {self.table()} WHERE"
                                           " source = %s AND source_table = %s AND mode = 'full'), 0)",
                                (source, table, source, table))
        return {"mode": mode, "source_xid_next": sx, "target_xid_next": tx, "since_full": since_full}

    def record(self, source: str, row: dict, run_id: str | None) -> None:
        _query(self.conn, f"INSERT INTO {self.table()} (source, source_table, target_table, mode, source_xid_next,"
                          " target_xid_next, rows_compared, candidates, transient, confirmed, unsettled, mismatch_rate,"
                          " mismatches, note, seconds, airflow_run_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                          " %s, %s, %s, %s, %s, %s)",
               (source, row["table"], row["target_table"], row["mode"], row["source_xid_next"], row["target_xid_next"],
                row["rows_compared"], row["candidates"], row["transient"], row["confirmed"], row["unsettled"],
                row["mismatch_rate"], json.dumps(row["mismatches"]), row.get("note"), row["seconds"], run_id))


def _full_pass_keys(source: str, target: str, pair: Pair, limit: int) -> tuple[list[tuple[str, ...]], int]:
    """``tributary diff`` over the whole table (checksum bisection): the differing keys and the source's rows."""
    with tempfile.TemporaryDirectory(prefix="tributary-reconcile-") as tmp:
        out = Path(tmp) / "differences.json"
        argv = ["diff", "--source", source, "--table", pair.source_table, "--target", target, "--target-table",
                pair.target_table, "--max-differences", str(min(max(limit, 1), 100_000)), "--output", str(out)]
        argv += [] if pair.key_is_primary else ["--key", ",".join(pair.key)]
        argv += [] if pair.all_columns else ["--columns", ",".join(pair.columns)]
        try:
            result = worker.run(argv, [source, target])
            differences = []
        except worker.WorkerRejected as exc:
            if exc.exit_code != worker.EXIT_VERIFICATION or not exc.result:
                raise
            result = exc.result
            differences = json.loads(out.read_text()).get("differences", []) if out.exists() else result["differences"]
    keys = [tuple(str(d["key"][k]) for k in pair.key) for d in differences]
    return keys, int(result.get("rows_source") or 0)


def reconcile_table(src, tgt, ledger: Ledger, *, source: str, target: str, slot: str, pair: Pair, s: Settings,
                    full: bool = False, run_id: str | None = None, full_pass=_full_pass_keys) -> dict:
    """One pass of one table, recorded; returns its row (the figures, the first confirmed keys)."""
    started = time.monotonic()
    last = ledger.last(source, pair.source_table)
    mode = "full" if full or last is None or last["since_full"] + 1 >= s.full_every else "changed"
    note = None
    # Each side's horizon first: what this pass may not see is compared again by the next one.
    with Snapshot(src):
        source_next = xid_horizon(src)
        changed = [] if mode == "full" else changed_keys(src, pair, "source", last["source_xid_next"], s.max_changed_rows)
    with Snapshot(tgt):
        target_next = xid_horizon(tgt)
        if mode == "changed":
            changed += changed_keys(tgt, pair, "target", last["target_xid_next"], s.max_changed_rows)
    keys = list(dict.fromkeys(changed))
    if mode == "changed" and len(keys) > s.max_changed_rows:
        mode, note = "full", f"{len(keys)} changed rows > reconcile.max_changed_rows: full pass instead"
    if mode == "full":
        candidates, compared = full_pass(source, target, pair, s.max_changed_rows)
    else:
        compared = len(keys)
        candidates = differing(src, tgt, pair, keys) if keys else []
    verdict = confirm(src, tgt, slot, pair, candidates, s.confirm_rounds, s.confirm_timeout) if candidates else Verdict()
    listed = [{"key": dict(zip(pair.key, k)), **v} for k, v in sorted(verdict.confirmed.items())[:MAX_LISTED]]
    row = {"table": pair.source_table, "target_table": pair.target_table, "mode": mode, "rows_compared": compared,
           "candidates": len(candidates), "transient": verdict.transient, "confirmed": len(verdict.confirmed),
           "unsettled": verdict.unsettled,
           "mismatch_rate": (len(verdict.confirmed) / compared) if compared else 0.0,
           "mismatches": listed, "note": note, "source_xid_next": source_next, "target_xid_next": target_next,
           "seconds": round(time.monotonic() - started, 3)}
    ledger.record(source, row, run_id)
    log.info("%s %s (%s pass): %d rows compared, %d differed at first read, %d transient (lag), %d confirmed,"
             " %d unsettled", source, pair.source_table, mode, compared, len(candidates), verdict.transient,
             len(verdict.confirmed), verdict.unsettled)
    return row


# ---------------------------------------------------------------------------------------------------------------
# which sources are followed, and the DAG's tasks


def _uri(conn_id: str) -> str:
    return connections.worker_env([conn_id])[connections.env_name(conn_id)]


def _control_schema(cfg: config.MigrationConfig) -> str:
    return cfg.raw["control"].get("schema", "tributary")


def followed_tables(ctl, schema: str, source: str, target: str) -> dict[str, str]:
    """Source table -> target table of the source's forward follow, from the control schema."""
    rows = _query(ctl, f"SELECT unnest(tables) FROM {_ident(schema)}.follow_slots WHERE source = %s AND slot_name = %s",
                  (source, f"tributary_{source}"))
    out = {}
    for (table,) in rows:
        found = _query(ctl, f"SELECT target_table FROM {_ident(schema)}.table_status WHERE source = %s"
                            " AND source_table = %s AND target = %s", (source, table, target))
        out[table] = found[0][0] if found else table
    return out


def merged_tables(ctl, schema: str, source: str, target: str, tables: Iterable[str]) -> set[str]:
    (resolved,), = _query(ctl, "SELECT to_regclass(%s) IS NOT NULL", (f"{_ident(schema)}.key_offsets",))
    if not resolved:
        return set()
    return {t for t in tables if _query(ctl, f"SELECT 1 FROM {_ident(schema)}.key_offsets WHERE target = %s AND"
                                             " target_table = %s AND source <> %s LIMIT 1", (target, t, source))}


def active_sources() -> list[str]:
    """Sources whose forward follow is live: slot released in the control schema, the source not cut over, and the
    follower connected to its slot now (a stopped follower would leave every difference unsettled)."""
    cfg = config.load()
    schema = _control_schema(cfg)
    ctl = connect(_uri(cfg.control_connection))
    try:
        if not Ledger(ctl, schema).ready():
            return []
        rows = _query(ctl, f"SELECT source FROM {_ident(schema)}.follow_slots WHERE state = 'released'"
                           " AND slot_name = 'tributary_' || source ORDER BY source")
        cut = set()
        if _query(ctl, "SELECT to_regclass(%s)", (f"{_ident(schema)}.source_lifecycle",))[0][0]:
            cut = {r[0] for r in _query(ctl, f"SELECT source FROM {_ident(schema)}.source_lifecycle"
                                             " WHERE state <> 'live'")}
    finally:
        ctl.close()
    active = []
    for (source,) in rows:
        if source in cut or source not in cfg.source_ids:
            continue
        src = connect(_uri(source))
        try:
            found = _query(src, "SELECT active FROM pg_replication_slots WHERE slot_name = %s", (f"tributary_{source}",))
        finally:
            src.close()
        if found and found[0][0]:
            active.append(source)
        else:
            log.info("%s: its follower is not running (slot tributary_%s %s): not reconciled", source, source,
                     "inactive" if found else "missing")
    return active


def reconcile_source(source: str, full: bool = False, table_filter: str | None = None,
                     run_id: str | None = None) -> dict[str, Any]:
    """Every followed table of ``source``: one pass each, recorded, metrics pushed. Returns the source's summary."""
    cfg = config.load()
    s = Settings.of(cfg)
    schema, target = _control_schema(cfg), cfg.consolidated_connection
    slot = f"tributary_{source}"
    ctl, src, tgt = connect(_uri(cfg.control_connection)), connect(_uri(source)), connect(_uri(target))
    tables: list[dict] = []
    skipped: dict[str, str] = {}
    try:
        ledger = Ledger(ctl, schema)
        if not ledger.ready():
            raise NotReconcilable(f"{schema}.reconcile_passes does not exist: run any worker command against the"
                                  " control schema (its migrations create it)")
        followed = followed_tables(ctl, schema, source, target)
        merged = merged_tables(ctl, schema, source, target, followed.values())
        for table, target_table in sorted(followed.items()):
            if not config.matches(f"{source}.{table}", table_filter):
                continue
            if target_table in merged:
                skipped[table] = "merged from several sources: use tributary diff (its merge projections)"
                continue
            try:
                pair = pair_of(src, tgt, table, target_table)
            except NotReconcilable as exc:
                skipped[table] = str(exc)
                continue
            row = reconcile_table(src, tgt, ledger, source=source, target=target, slot=slot, pair=pair, s=s,
                                  full=full, run_id=run_id)
            tables.append(row)
            push(source, row)
    finally:
        for c in (ctl, src, tgt):
            c.close()
    compared = sum(t["rows_compared"] for t in tables)
    confirmed = sum(t["confirmed"] for t in tables)
    for table, why in skipped.items():
        log.warning("%s %s not reconciled: %s", source, table, why)
    return {"source": source, "tables": [{k: v for k, v in t.items() if not k.endswith("_xid_next")} for t in tables],
            "skipped": skipped, "rows_compared": compared, "confirmed": confirmed,
            "unsettled": sum(t["unsettled"] for t in tables),
            "mismatch_rate": (confirmed / compared) if compared else 0.0}


def push(source: str, row: dict) -> None:
    """The pass's figures to the Pushgateway (group job=reconcile, source, table); off without one."""
    pushgateway.push_group(
        {"job": "reconcile", "source": source, "table": row["table"]},
        {"tributary_reconcile_mismatch_rate": ("gauge", "confirmed mismatches / rows compared, last pass",
                                               row["mismatch_rate"]),
         "tributary_reconcile_confirmed_mismatches": ("gauge", "keys still different past the follower's lag",
                                                      row["confirmed"]),
         "tributary_reconcile_unsettled_keys": ("gauge", "keys not decided (follower behind, row kept changing)",
                                                row["unsettled"]),
         "tributary_reconcile_rows_compared": ("gauge", "rows compared by the last pass", row["rows_compared"]),
         "tributary_reconcile_last_pass_timestamp_seconds": ("gauge", "when the last pass ended", time.time())})


def _context() -> dict[str, Any]:
    from airflow.sdk import get_current_context

    return get_current_context()


PASS_SESSIONS = 2  # a pass holds one session on its source and its `tributary diff` another: its pool slots


def task_id(source: str) -> str:
    """The task reconciling one source (its own task, so that it runs in the source's pool)."""
    return f"reconcile_{source}"


def task_select() -> list[str]:
    from airflow.sdk.exceptions import AirflowSkipException

    params = _context()["params"]
    wanted = [x.strip() for x in (params.get("sources") or "").split(",") if x.strip()]
    active = active_sources()
    chosen = [x for x in active if not wanted or x in wanted]
    if not chosen:
        raise AirflowSkipException("no active follow to reconcile" + (f" among {', '.join(wanted)}" if wanted else ""))
    return chosen


def task_reconcile(source: str) -> dict[str, Any]:
    ctx = _context()
    params = ctx["params"]
    return reconcile_source(source, full=bool(params.get("full")), table_filter=params.get("table_filter") or None,
                            run_id=ctx.get("run_id"))


def task_outcome(results: list[dict]) -> dict[str, Any]:
    """The run's XCom: the mismatch rate per source and table. A confirmed mismatch does not fail the run (the pass
    did its job): it is in the control schema, the report and the alert TributaryReconcileMismatch."""
    # One sequence per source's task (empty for a source not reconciled in this run).
    results = [r for per_source in results for r in ([per_source] if isinstance(per_source, dict) else per_source)]
    summary = {"sources": {r["source"]: {"mismatch_rate": r["mismatch_rate"], "confirmed": r["confirmed"],
                                         "unsettled": r["unsettled"], "rows_compared": r["rows_compared"],
                                         "tables": r["tables"], "skipped": r["skipped"]} for r in results}}
    bad = {r["source"]: r["confirmed"] for r in results if r["confirmed"]}
    if bad:
        log.error("confirmed mismatches during the dual run: %s (docs/runbooks/reconcile.md)",
                  ", ".join(f"{k} {v}" for k, v in sorted(bad.items())))
    log.info("%s", json.dumps(summary, indent=1, default=str))
    return summary


def schedule() -> str:
    """The DAG's schedule from migration.yaml (read at parse time: a local file only)."""
    try:
        return Settings.of(config.load()).schedule
    except (config.ConfigError, OSError):
        return Settings.of(config.MigrationConfig(Path(os.devnull), {})).schedule
