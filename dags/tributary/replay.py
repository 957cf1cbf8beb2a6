"""Cutover pre-check: the source's most frequent read-only statements, replayed on the source and on the consolidated
database, their p50/p95 latency compared (docs/runbooks/cutover.md#replay).

What is replayed: the statements of the source's database in ``pg_stat_statements``, most calls first, that begin
with ``SELECT``/``WITH``/``TABLE``/``VALUES``, call none of the functions with effects outside the transaction
(advisory locks, ``pg_terminate_backend``, ``set_config``, ``dblink``, ...), and read only tables Tributary copied
into the consolidated database (their relations come from the source's own plan: ``EXPLAIN`` of the prepared
statement). Every execution, on both sides, runs in a ``READ ONLY`` transaction with ``statement_timeout`` that is
rolled back: a statement that writes after all (``nextval``, a writing function, ``FOR UPDATE``) is refused by
PostgreSQL and listed as skipped, nothing changed.

Parameters: pg_stat_statements keeps ``$1`` where the application sent a value. A parameter compared with a column
(``col = $1``, ``col < $1``, ``col IN ($1``, ``col LIKE $1``) gets values sampled from that column on the source (a
different row for each run, the same values on both sides); ``LIMIT $n`` is replayed as 10 and ``OFFSET $n`` as 0;
a statement with any other parameter is skipped and listed ("no column to sample $n from"). So the replay times
representative lookups, not the exact values the applications used. Where a merged table's keys were offset, a key
sampled on the source may find no row on the consolidated side (a miss, usually as fast).

Names: a table copied under another schema is reached on the consolidated side by rewriting qualified references
(``schema.table``) and by ``search_path`` (the target schemas first); a table renamed on the way, or not in the
consolidated database (archived, warehouse, never copied), cannot be mapped: the statement is skipped and listed.

The verdict: a statement is slower when the consolidated side's p50 or p95 exceeds ``max_slowdown`` times the
source's (and its p95 is at least ``min_latency_ms``, below which timer noise dominates), or when it fails or times
out there. ``on_slower: fail`` fails the pre-check (nothing changed), ``warn`` only reports it. A source without
``pg_stat_statements`` is not a failure: the check says so and what to do.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from tributary import config, names

log = logging.getLogger(__name__)

PREPARED = "tributary_replay"
_READ_ONLY_START = re.compile(r"^\s*(\(\s*)*(select|with|table|values)\b", re.I)
_EFFECTS = re.compile(r"\b(pg_advisory\w*|pg_try_advisory\w*|pg_terminate_backend|pg_cancel_backend|pg_notify|"
                      r"set_config|pg_reload_conf|pg_rotate_logfile|pg_stat_reset\w*|dblink\w*|pg_sleep\w*|"
                      r"pg_switch_wal|pg_create_\w+|pg_drop_\w+|pg_replication_\w+|pg_logical_\w+|lo_\w+|"
                      r"pg_file_write|pg_promote|txid_current|pg_current_xact_id|nextval|setval)\s*\(", re.I)
_DATA_CHANGE = re.compile(r"\b(insert|update|delete|merge|truncate|copy|create|drop|alter|grant|lock)\b", re.I)
_COMPARED = (r'(?:(?:"(?:[^"]|"")+"|\w+)\.)?("(?:[^"]|"")+"|\w+)\s*(?:=|<>|!=|<=|>=|<|>|\s(?:i?like|in\s*\((?:\s*\$\d+\s*,)*))'
             r'\s*\${n}(?!\d)')  # col = $n, col < $n, col LIKE $n, col IN ($1, $2, $n
_COMPARED_REVERSED = r'\${n}(?!\d)\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:(?:"(?:[^"]|"")+"|\w+)\.)?("(?:[^"]|"")+"|\w+)'


@dataclass(frozen=True)
class Settings:
    enabled: bool
    top: int
    runs: int
    max_slowdown: float
    min_latency_ms: float
    on_slower: str
    timeout_ms: int

    @classmethod
    def of(cls, cfg: config.MigrationConfig) -> "Settings":
        raw = (cfg.raw.get("cutover") or {}).get("replay") or {}
        return cls(enabled=bool(raw.get("enabled", True)), top=int(raw.get("top_statements", 10)),
                   runs=int(raw.get("runs", 9)), max_slowdown=float(raw.get("max_slowdown", 2.0)),
                   min_latency_ms=float(raw.get("min_latency_ms", 1.0)), on_slower=raw.get("on_slower", "fail"),
                   timeout_ms=int(raw.get("statement_timeout_ms", 5000)))


class Skip(Exception):
    """This statement is not replayed; the message says why."""


def _query(conn, sql: str, args: Any = ()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, args or None)  # None: a statement's own % is not a placeholder
        return cur.fetchall() if cur.description else []


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unquote(token: str) -> str:
    return token[1:-1].replace('""', '"') if token.startswith('"') else token.lower()


class ReadOnly:
    """A READ ONLY transaction with a statement_timeout, always rolled back (the connection is autocommit)."""

    def __init__(self, conn, timeout_ms: int):
        self.conn, self.timeout_ms = conn, timeout_ms

    def __enter__(self):
        _query(self.conn, "BEGIN READ ONLY")
        _query(self.conn, "SELECT set_config('statement_timeout', %s, true)", (str(self.timeout_ms),))
        return self

    def __exit__(self, *exc):
        _query(self.conn, "ROLLBACK")


# ---------------------------------------------------------------------------------------------------------------
# which statements


def frequent_statements(src, top: int) -> tuple[list[dict], str | None]:
    """The source database's most called statements (all kinds; filtered later), or why there are none."""
    if not _query(src, "SELECT to_regclass('pg_stat_statements')")[0][0]:
        available = _query(src, "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'")
        return [], ("pg_stat_statements is not installed in this database: a superuser runs CREATE EXTENSION"
                    " pg_stat_statements (the server needs shared_preload_libraries = 'pg_stat_statements'"
                    + ("" if available else "; the extension is not even available on this server") + ")")
    try:
        rows = _query(src, "SELECT query, sum(calls)::bigint FROM pg_stat_statements WHERE dbid = (SELECT oid FROM"
                           " pg_database WHERE datname = current_database()) GROUP BY query ORDER BY 2 DESC LIMIT %s",
                      (top * 20,))
    except Exception as exc:  # e.g. not in shared_preload_libraries: the view exists but cannot be read
        _query(src, "ROLLBACK") if src.get_transaction_status() else None
        return [], f"pg_stat_statements cannot be read: {str(exc).strip().splitlines()[0]}"
    return [{"query": q, "calls": c} for q, c in rows], None


def why_not_read_only(query: str) -> str | None:
    if query.startswith("<insufficient privilege>"):
        return "another role's statement: grant pg_read_all_stats to see its text"
    if not _READ_ONLY_START.match(query):
        return "not a read-only statement (does not begin with SELECT, WITH, TABLE or VALUES)"
    if _EFFECTS.search(query):
        return "calls a function with effects outside the transaction"
    if query.lstrip().lower().startswith("with") and _DATA_CHANGE.search(query):
        return "a WITH that may change data"
    if re.search(r"\binto\b", query, re.I) and re.search(r"^\s*select\b[^;]*\binto\b", query, re.I):
        return "SELECT INTO creates a table"
    return None


def _parameters(query: str) -> list[int]:
    return sorted({int(n) for n in re.findall(r"\$(\d+)", query)})


def _relations(src, query: str, params: int) -> list[tuple[str, str]]:
    """(schema, table) of every relation the source's generic plan reads."""
    _query(src, "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
    args = ", ".join(["NULL"] * params)
    (plan,), = _query(src, f"EXPLAIN (FORMAT JSON, VERBOSE) EXECUTE {PREPARED}" + (f"({args})" if params else ""))
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("Node Type") == "ModifyTable":
                raise Skip("its plan changes data")
            if "Relation Name" in node and "Schema" in node:
                rel = (node["Schema"], node["Relation Name"])
                if rel not in found:
                    found.append(rel)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(plan)
    return found


# ---------------------------------------------------------------------------------------------------------------
# mapping and parameters


@dataclass
class Plan:
    query: str
    calls: int
    consolidated_query: str
    search_path: list[str]
    values: list[list[str]]  # one list of parameter values per run
    notes: list[str]


def map_to_target(query: str, relations: list[tuple[str, str]], targets: dict[str, str]) -> tuple[str, list[str]]:
    """The statement as the consolidated database must see it, and the schemas to search first."""
    rewritten, schemas = query, []
    if not relations:
        raise Skip("reads no table")
    for schema, table in relations:
        if schema in ("pg_catalog", "information_schema"):
            raise Skip(f"reads the catalog ({schema}.{table}), not migrated data")
        source_table = names.qualified(schema, table)
        target = targets.get(source_table)
        if target is None:
            raise Skip(f"{source_table} is not in the consolidated database (not copied there: archived, warehouse"
                       " or left out): cannot be mapped")
        tschema, ttable = names.split_table(target)
        if ttable != table:
            raise Skip(f"{source_table} was renamed to {target}: references by name cannot be mapped safely")
        if tschema != schema:
            # qualified references: schema.table (either part quoted or not) -> the target's schema
            pattern = (r'(?<![\w"])(' + re.escape(_ident(schema)) + "|" + (re.escape(schema) if schema.islower() else "(?!)")
                       + r')\s*\.\s*(' + re.escape(_ident(table)) + "|" + (re.escape(table) if table.islower() else "(?!)")
                       + r')(?![\w"])')
            rewritten = re.sub(pattern, lambda m: f"{_ident(tschema)}.{m.group(2)}", rewritten, flags=re.I)
        if tschema not in schemas:
            schemas.append(tschema)
    return rewritten, schemas


def _sample(src, relations: list[tuple[str, str]], column: str, n: int) -> list[str]:
    for schema, table in relations:
        rel = f"{_ident(schema)}.{_ident(table)}"
        has = _query(src, "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s AND attnum > 0"
                          " AND NOT attisdropped", (rel, column))
        if not has:
            continue
        (estimate,), = _query(src, "SELECT greatest(reltuples, 1)::float8 FROM pg_class WHERE oid = %s::regclass", (rel,))
        percent = min(100.0, 100.0 * (n * 20) / estimate)
        rows = _query(src, f"SELECT {_ident(column)}::text FROM {rel} TABLESAMPLE BERNOULLI (%s)"
                           f" WHERE {_ident(column)} IS NOT NULL LIMIT %s", (percent, n))
        if not rows:
            rows = _query(src, f"SELECT {_ident(column)}::text FROM {rel} WHERE {_ident(column)} IS NOT NULL LIMIT %s", (n,))
        if rows:
            return [r[0] for r in rows]
    return []


def parameter_values(src, query: str, relations: list[tuple[str, str]], runs: int) -> tuple[list[list[str]], list[str]]:
    """Values for every run (module doc); raises Skip for a parameter it cannot fill honestly."""
    columns: list[list[str]] = []
    notes: list[str] = []
    for n in _parameters(query):
        if re.search(rf"\blimit\s+\${n}(?!\d)", query, re.I):
            columns.append(["10"])
            notes.append(f"${n} (LIMIT) replayed as 10")
            continue
        if re.search(rf"\boffset\s+\${n}(?!\d)", query, re.I):
            columns.append(["0"])
            notes.append(f"${n} (OFFSET) replayed as 0")
            continue
        match = (re.search(_COMPARED.replace("{n}", str(n)), query, re.I)
                 or re.search(_COMPARED_REVERSED.replace("{n}", str(n)), query, re.I))
        column = _unquote(match.group(1)) if match else None
        values = _sample(src, relations, column, runs) if column else []
        if not values:
            raise Skip(f"${n}: no column to sample a value from" if not column
                       else f"${n}: no value of {column} to sample on the source")
        columns.append(values)
        notes.append(f"${n} sampled from {column} ({len(values)} values)")
    return [[col[i % len(col)] for col in columns] for i in range(runs)], notes


# ---------------------------------------------------------------------------------------------------------------
# timing


def _execute(conn, params: list[str]) -> None:
    with conn.cursor() as cur:
        # text literals of unknown type: each parameter's input function reads it, as the application's value was
        cur.execute(f"EXECUTE {PREPARED}" + (f"({', '.join(['%s'] * len(params))})" if params else ""), params or None)
        if cur.description:
            cur.fetchall()


def _percentile(ms: list[float], p: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, max(0, int(round(p * len(ordered) + 0.5)) - 1))]  # nearest rank


def time_statement(conn, query: str, search_path: list[str], values: list[list[str]], timeout_ms: int) -> dict:
    """One warm-up and ``len(values)`` timed executions, each in its own READ ONLY transaction, rolled back."""
    ms: list[float] = []
    for i, params in enumerate([values[0], *values]):
        with ReadOnly(conn, timeout_ms):
            if search_path:
                _query(conn, "SELECT set_config('search_path', %s, true)",
                       (", ".join([_ident(s) for s in search_path] + ["public"]),))
            _query(conn, f"PREPARE {PREPARED} AS {query}")  # names resolved with this search_path
            start = time.perf_counter()
            _execute(conn, params)
            if i:  # the first run warms the cache
                ms.append((time.perf_counter() - start) * 1000)
        _query(conn, f"DEALLOCATE {PREPARED}")  # a prepared statement outlives the rollback
    return {"p50_ms": round(_percentile(ms, 0.5), 3), "p95_ms": round(_percentile(ms, 0.95), 3), "runs": len(ms)}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _deallocate(conn) -> None:
    if conn.get_transaction_status():  # a failed transaction: end it first
        _query(conn, "ROLLBACK")
    _query(conn, f"DEALLOCATE {PREPARED}") if _query(
        conn, "SELECT 1 FROM pg_prepared_statements WHERE name = %s", (PREPARED,)) else None


def prepare_plan(src, entry: dict, targets: dict[str, str], runs: int, timeout_ms: int) -> Plan:
    query = entry["query"]
    why = why_not_read_only(query)
    if why:
        raise Skip(why)
    try:
        with ReadOnly(src, timeout_ms):
            _query(src, f"PREPARE {PREPARED} AS {query}")
            relations = _relations(src, query, len(_parameters(query)))
            _query(src, f"DEALLOCATE {PREPARED}")
    except Skip:
        _deallocate(src)
        raise
    except Exception as exc:
        _deallocate(src)
        raise Skip(f"cannot be prepared on the source: {_first_line(exc)}") from None
    consolidated_query, search_path = map_to_target(query, relations, targets)
    values, notes = parameter_values(src, query, relations, runs)
    return Plan(query, entry["calls"], consolidated_query, search_path, values, notes)


def compare(src, cons, targets: dict[str, str], s: Settings) -> dict[str, Any]:
    """Replay the source's frequent read-only statements on both sides; the comparison and the verdict."""
    entries, why = frequent_statements(src, s.top)
    result: dict[str, Any] = {"verdict": "skipped", "max_slowdown": s.max_slowdown, "statements": [], "skipped": []}
    if why:
        result["note"] = why
        return result
    for entry in entries:
        if len(result["statements"]) >= s.top:
            break
        short = " ".join(entry["query"].split())[:300]
        try:
            plan = prepare_plan(src, entry, targets, s.runs, s.timeout_ms)
            try:
                source = time_statement(src, plan.query, [], plan.values, s.timeout_ms)
            except Exception as exc:
                _deallocate(src)
                raise Skip(f"refused or failed on the source: {_first_line(exc)}") from None
        except Skip as skip:
            if not str(skip).startswith("not a read-only statement"):  # writes are expected: not worth a line each
                result["skipped"].append({"query": short, "calls": entry["calls"], "reason": str(skip)})
            continue
        row = {"query": short, "calls": entry["calls"], "parameters": plan.notes, "source": source}
        try:
            row["consolidated"] = time_statement(cons, plan.consolidated_query, plan.search_path, plan.values,
                                                 s.timeout_ms)
            ratio50 = row["consolidated"]["p50_ms"] / max(source["p50_ms"], 1e-3)
            ratio95 = row["consolidated"]["p95_ms"] / max(source["p95_ms"], 1e-3)
            row["slowdown_p50"], row["slowdown_p95"] = round(ratio50, 2), round(ratio95, 2)
            row["slower"] = (max(ratio50, ratio95) > s.max_slowdown
                             and row["consolidated"]["p95_ms"] >= s.min_latency_ms)
        except Exception as exc:
            _deallocate(cons)
            row["consolidated"] = {"error": _first_line(exc)}
            row["slower"] = True  # cannot answer (timeout, missing column): worse than slower
        result["statements"].append(row)
    if result["statements"]:
        result["verdict"] = "slower" if any(r["slower"] for r in result["statements"]) else "ok"
    else:
        result["note"] = "no read-only statement of migrated tables could be replayed (see skipped)"
    return result


# ---------------------------------------------------------------------------------------------------------------
# the pre-check


def migrated_tables(ctl, schema: str, source: str, target: str) -> dict[str, str]:
    rows = _query(ctl, f"SELECT source_table, target_table FROM {_ident(schema)}.table_status WHERE source = %s AND"
                       " target = %s AND status = 'copied'", (source, target))
    return {a: b for a, b in rows}


def record(ctl, schema: str, source: str, result: dict, run_id: str | None) -> None:
    if not _query(ctl, "SELECT to_regclass(%s)", (f"{_ident(schema)}.replay_checks",))[0][0]:
        log.warning("%s.replay_checks does not exist (a worker older than the replay check made the control schema):"
                    " the comparison is in XCom only", schema)
        return
    _query(ctl, f"INSERT INTO {_ident(schema)}.replay_checks (source, verdict, max_slowdown, statements, skipped, note,"
                " airflow_run_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
           (source, result["verdict"], result["max_slowdown"], json.dumps(result["statements"]),
            json.dumps(result["skipped"]), result.get("note"), run_id))


def summary_line(source: str, result: dict) -> str:
    if result["verdict"] == "skipped":
        return f"{source}: replay skipped: {result.get('note')}"
    slower = [r for r in result["statements"] if r["slower"]]
    return (f"{source}: {len(result['statements'])} read-only statements replayed, {len(slower)} slower on the"
            f" consolidated database than {result['max_slowdown']}x the source"
            + "".join(f"; {r['query'][:80]!r}: {r['source']['p95_ms']} ms -> "
                      f"{r['consolidated'].get('p95_ms', r['consolidated'].get('error'))} ms p95" for r in slower[:3]))
