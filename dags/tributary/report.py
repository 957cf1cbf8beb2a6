"""The migration report: one self-contained HTML page that shows where the migration stands.

``build()`` gathers whatever exists in the state folder and the control schema, and renders
``<state>/reports/migration-report.html``:

- the plan (``plan/plan.json``): tables, classes and reasons, destinations, sizes, conflicts;
- phase outcomes (``reports/<phase>-outcome.json``, see ``outcome.write_report``; the warehouse writes one
  file per partition, ``reports/warehouse/<partition>.json``): per table rows, both checksums, verified;
- the control schema (``tributary.table_status``, ``archive_catalog``, ``audit_log``) when reachable:
  timings (duration, rows/s), bytes moved, ledger status, the archive catalog;
- Great Expectations validation results (``gx/project/gx/uncommitted/validations``) and links into
  GX's data docs.

Anything missing renders as "not run yet"; nothing here raises because an input is absent or
malformed. The page has no external resources (no CDN, fonts or scripts): charts are inline SVG
built by ``bar_chart_svg`` / ``stacked_bar_svg`` below. Everything is escaped (jinja2 autoescape;
SVG text through ``markupsafe.escape``).

``python -m tributary.report [--state DIR]`` builds it and prints the path (the control schema's URI
comes from the environment, never from argv).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote
from typing import Any, Iterable, Sequence

from markupsafe import Markup, escape

from tributary import names

log = logging.getLogger(__name__)

REPORT_NAME = "migration-report.html"
TEMPLATE = "report.html.j2"
PHASES = ("consolidate", "warehouse", "archive", "cutover")
# the plan's destination kind -> the phase that moves the table there
PHASE_BY_DESTINATION = {"consolidated": "consolidate", "warehouse": "warehouse", "archive": "archive"}
NOT_RUN = "not run yet"

# Table states, worst first (the order of the per-table list and of the state bar).
STATES = ("mismatch", "failed", "gate failed", "in progress", "dry-run", "verified", NOT_RUN)
BAD_STATES = ("mismatch", "failed", "gate failed")
STATE_COLOURS = {
    "mismatch": "#c62828", "failed": "#c62828", "gate failed": "#c62828", "in progress": "#1565c0",
    "dry-run": "#6d4c41", "verified": "#2e7d32", NOT_RUN: "#9e9e9e",
}
DESTINATION_COLOURS = {"consolidated": "#1565c0", "warehouse": "#ef6c00", "archive": "#6a1b9a", "review": "#9e9e9e"}


# --------------------------------------------------------------------------------------------- inputs


def _read_json(path: Path, problems: list[str]) -> Any:
    """The file's JSON, or None when it is missing; a broken file is reported on the page, not raised."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        problems.append(f"{path.name}: unreadable ({exc.__class__.__name__}: {str(exc)[:200]})")
        return None


def _control_settings(config_file: Path | None) -> tuple[str, str]:
    """(connection id, schema) of the control schema from migration.yaml; the documented defaults otherwise."""
    conn_id, schema = "consolidated", "tributary"
    try:
        import yaml

        if config_file and config_file.is_file():
            control = (yaml.safe_load(config_file.read_text()) or {}).get("control") or {}
            conn_id = control.get("connection") or conn_id
            schema = control.get("schema") or schema
    except Exception as exc:  # a config being edited must not break the report
        log.warning("report: could not read the control settings from %s: %s", config_file, exc)
    return conn_id, schema


def _phase_outcome(reports: Path, phase: str, problems: list[str]) -> dict[str, Any] | None:
    """One phase's outcome. The warehouse loads one partition per run and keeps one result file per
    partition (``warehouse.write_result``): their rows are pooled, so a table's partitions add up."""
    single = _read_json(reports / f"{phase}-outcome.json", problems)
    partitions = sorted((reports / phase).glob("*.json")) if (reports / phase).is_dir() else []
    if single is not None or not partitions:
        return single
    runs = [d for d in (_read_json(p, problems) for p in partitions) if isinstance(d, dict)]
    if not runs:
        return None
    latest = max(runs, key=lambda d: str(d.get("run_id") or ""))
    return {"dag_id": latest.get("dag_id"), "run_id": latest.get("run_id"),
            "all_verified": all(d.get("all_verified") is True for d in runs),
            "partitions": len(runs),
            "tables": [r for d in runs for r in d.get("tables") or []]}


@dataclass
class ControlSchema:
    reachable: bool
    error: str | None = None
    schema: str = "tributary"
    table_status: list[dict[str, Any]] = field(default_factory=list)
    chunks: dict[int, dict[str, Any]] = field(default_factory=dict)
    archive_catalog: list[dict[str, Any]] | None = None  # None: the table does not exist (phase not built/run)
    audit_log: list[dict[str, Any]] = field(default_factory=list)
    reconcile: list[dict[str, Any]] | None = None  # last reconciliation pass per table; None: never reconciled
    replay: list[dict[str, Any]] | None = None  # last cutover replay check per source; None: never checked


def _redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "<connection>") if secret else text


def read_control_schema(conn_uri: str | None, schema: str = "tributary", timeout: int = 3) -> ControlSchema:
    """Everything the report needs from the control schema, in one short read-only transaction."""
    if not conn_uri:
        return ControlSchema(False, "no connection URI (TRIBUTARY_CONN_<control connection> is not set)", schema)
    try:
        import psycopg2
        import psycopg2.extras
        from psycopg2 import sql
    except ImportError as exc:  # pragma: no cover - psycopg2 is in the lock
        return ControlSchema(False, f"psycopg2 unavailable: {exc}", schema)
    try:
        conn = psycopg2.connect(conn_uri, connect_timeout=timeout, application_name="tributary-report")
    except Exception as exc:
        # libpq messages name host and port, never the password; redact the URI anyway.
        return ControlSchema(False, _redact(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc), conn_uri), schema)
    out = ControlSchema(True, schema=schema)
    try:
        conn.set_session(readonly=True, autocommit=False)
        with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute("SET LOCAL statement_timeout = '10s'")
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            )
            present = {r["table_name"] for r in cur.fetchall()}
            if "table_status" not in present:
                out.error = f"schema {schema!r} has no table_status (the control schema was never created)"
            else:
                cur.execute(sql.SQL(
                    "SELECT *, extract(epoch FROM finished_at - started_at)::float8 AS seconds "
                    "FROM {}.table_status ORDER BY source, source_table, target, target_table"
                ).format(sql.Identifier(schema)))
                out.table_status = [dict(r) for r in cur.fetchall()]
            if "chunks" in present:
                cur.execute(sql.SQL(
                    "SELECT table_id, count(*) AS chunks, count(*) FILTER (WHERE status = 'copied') AS copied, "
                    "count(*) FILTER (WHERE status IN ('failed', 'mismatch')) AS bad "
                    "FROM {}.chunks GROUP BY table_id"
                ).format(sql.Identifier(schema)))
                out.chunks = {r["table_id"]: dict(r) for r in cur.fetchall()}
            if "archive_catalog" in present:
                cur.execute(sql.SQL("SELECT * FROM {}.archive_catalog").format(sql.Identifier(schema)))
                out.archive_catalog = [dict(r) for r in cur.fetchall()]
            if "reconcile_passes" in present:  # phase 5, dual run: the last pass of each table
                cur.execute(sql.SQL(
                    "SELECT DISTINCT ON (source, source_table) source, source_table, target_table, mode, rows_compared,"
                    " candidates, transient, confirmed, unsettled, mismatch_rate, mismatches, finished_at"
                    " FROM {}.reconcile_passes ORDER BY source, source_table, pass_id DESC"
                ).format(sql.Identifier(schema)))
                out.reconcile = [dict(r) for r in cur.fetchall()]
            if "replay_checks" in present:  # phase 5, cutover pre-check: the last replay of each source
                cur.execute(sql.SQL(
                    "SELECT DISTINCT ON (source) source, verdict, max_slowdown, statements, skipped, note, checked_at"
                    " FROM {}.replay_checks ORDER BY source, check_id DESC"
                ).format(sql.Identifier(schema)))
                out.replay = [dict(r) for r in cur.fetchall()]
            if "audit_log" in present:
                cur.execute(sql.SQL(
                    "SELECT at, actor, action, detail, airflow_run_id FROM {}.audit_log ORDER BY id DESC LIMIT 15"
                ).format(sql.Identifier(schema)))
                out.audit_log = [dict(r) for r in cur.fetchall()]
        conn.rollback()
    except Exception as exc:
        out.error = _redact(f"reading the control schema failed: {str(exc).strip()[:300]}", conn_uri)
    finally:
        conn.close()
    return out


def _latest_validations(validations_dir: Path, problems: list[str]) -> dict[str, dict[str, Any]]:
    """The newest GX validation result per suite, keyed by suite name (``consolidated.public.users``)."""
    latest: dict[str, dict[str, Any]] = {}
    if not validations_dir.is_dir():
        return latest
    for path in validations_dir.rglob("*.json"):
        data = _read_json(path, problems)
        if not isinstance(data, dict) or "results" not in data:
            continue
        meta = data.get("meta") or {}
        when = str(meta.get("validation_time") or (meta.get("run_id") or {}).get("run_time") or "")
        suite = data.get("suite_name") or path.stem
        if suite not in latest or when > latest[suite]["_when"]:
            latest[suite] = {**data, "_when": when, "_path": path}
    return latest


def _describe_expectation(res: dict[str, Any]) -> str:
    """One failed expectation in words (same shape as gate._describe, from the stored JSON)."""
    cfg = res.get("expectation_config") or {}
    kwargs = {k: v for k, v in (cfg.get("kwargs") or {}).items() if k != "batch_id"}
    what = str(cfg.get("type") or cfg.get("expectation_type") or "?")
    if what == "unexpected_rows_expectation" and cfg.get("description"):
        what += f"({cfg['description']})"
    if "column" in kwargs:
        what += f"({kwargs['column']})"
    elif "column_list" in kwargs:
        what += f"({','.join(map(str, kwargs['column_list']))})"
    r = res.get("result") or {}
    if "observed_value" in r:
        what += f": observed {r['observed_value']}, expected {kwargs.get('value', '?')}"
    elif "unexpected_count" in r:
        what += f": {r['unexpected_count']} unexpected of {r.get('element_count', '?')}"
    info = res.get("exception_info") or {}
    if info.get("raised_exception"):
        what += f": error {str(info.get('exception_message', ''))[:200]}"
    return what


def gx_results(gx_root: Path, report_dir: Path, problems: list[str]) -> list[dict[str, Any]]:
    """Per validated table: pass/fail, statistics, failed expectations, relative link to its data docs page."""
    uncommitted = gx_root / "uncommitted"
    validations = uncommitted / "validations"
    site = uncommitted / "data_docs" / "local_site"
    out = []
    for suite, data in sorted(_latest_validations(validations, problems).items()):
        path: Path = data["_path"]
        page = site / "validations" / path.relative_to(validations).with_suffix(".html")
        docs = page if page.is_file() else (site / "index.html" if (site / "index.html").is_file() else None)
        batch = ((data.get("meta") or {}).get("batch_spec") or {})
        # the batch's own names (a table asset), else the suite's name less its destination (suites.store_key)
        table = (names.qualified(*(p for p in (batch.get("schema_name"), batch.get("table_name")) if p))
                 if batch.get("table_name") else unquote(suite.split(".", 1)[-1]))
        stats = data.get("statistics") or {}
        failed = [r for r in data.get("results") or [] if not r.get("success")]
        # gate.py: only critical expectations fail a gate; warnings (FK coverage, recency, ...) are reported
        warned = [r for r in failed if str((r.get("expectation_config") or {}).get("severity") or "critical")
                  in ("warning", "info")]
        critical = [r for r in failed if r not in warned]
        out.append({
            "suite": suite,
            "datasource": suite.split(".", 1)[0] if "." in suite else "",
            "table": table,
            "success": bool(data.get("success")) or not critical,
            "evaluated": stats.get("evaluated_expectations"),
            "successful": stats.get("successful_expectations"),
            "failures": [_describe_expectation(r) for r in critical],
            "warnings": [_describe_expectation(r) for r in warned],
            "when": data["_when"],
            "run_name": ((data.get("meta") or {}).get("run_id") or {}).get("run_name"),
            "docs": os.path.relpath(docs, report_dir) if docs else None,
        })
    return out


# --------------------------------------------------------------------------------------------- model


def _key(instance: Any, table: Any) -> tuple[str, str]:
    return (str(instance), str(table))


def _checksum_pair(rows: list[dict[str, Any]], name: str) -> Any:
    values = {r.get(name) for r in rows}
    if len(rows) == 1:
        return rows[0].get(name)
    return values.pop() if len(values) == 1 else f"{len(rows)} partitions"


def _outcome_state(verified: Any) -> str:
    if verified is True:
        return "verified"
    if verified is False or verified is None:
        return "mismatch"
    text = str(verified).strip().lower()
    if text in ("yes", "true", "verified"):
        return "verified"
    return text if text in STATES else "failed"


def _merge_outcome_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Several rows for one table (warehouse partitions): rows add up, verified only if all are."""
    states = [_outcome_state(r.get("verified")) for r in rows]
    worst = min(states, key=STATES.index)
    total = None
    if all(isinstance(r.get("rows"), int) for r in rows):
        total = sum(r["rows"] for r in rows)
    secs = [r.get("seconds") for r in rows]
    return {
        "rows": total if total is not None else rows[0].get("rows"),
        "source_checksum": _checksum_pair(rows, "source_checksum"),
        "target_checksum": _checksum_pair(rows, "target_checksum"),
        "state": worst,
        "bytes": sum(r["bytes"] for r in rows) if all(isinstance(r.get("bytes"), int) for r in rows) else None,
        "seconds": sum(secs) if all(isinstance(s, (int, float)) for s in secs) else None,
        "target_table": rows[0].get("target_table"),
        "status": rows[0].get("status"),
        "parts": len(rows),
    }


def _ledger_state(row: dict[str, Any]) -> str:
    status = row.get("status")
    if status == "copied":
        src, dst = row.get("source_checksum"), row.get("target_checksum")
        if src and dst:
            return "verified" if src == dst else "mismatch"
        return "in progress"  # copied but not verified yet
    return {"mismatch": "mismatch", "failed": "failed", "pending": "in progress", "copying": "in progress"}.get(
        status, "in progress")


def _rate(rows: Any, seconds: Any) -> float | None:
    if isinstance(rows, int) and isinstance(seconds, (int, float)) and seconds > 0:
        return rows / seconds
    return None


def build_model(state: Path, control: ControlSchema, *, config_file: Path | None = None,
                now: datetime | None = None, page_dir: Path | None = None) -> dict[str, Any]:
    """Everything the template shows, as plain data (tests assert on this and on the HTML).

    ``page_dir`` is where the page will live (links to plan.md and GX data docs are relative to it)."""
    problems: list[str] = []
    reports = state / "reports"
    links_from = page_dir or reports
    plan = _read_json(state / "plan" / "plan.json", problems)
    if plan is not None and not isinstance(plan, dict):
        problems.append("plan.json: not an object")
        plan = None

    phases = []
    merge_decisions: dict[str, Any] | None = None  # what `tributary resolve` did (consolidate outcome)
    outcome_rows: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for phase in PHASES:
        data = _phase_outcome(reports, phase, problems)
        if not isinstance(data, dict):
            phases.append({"phase": phase, "ran": False})
            continue
        if phase == "consolidate" and isinstance(data.get("merge"), dict):
            merge_decisions = data["merge"]
        rows = [r for r in data.get("tables") or [] if isinstance(r, dict)]
        by_table: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in rows:
            if isinstance(r.get("sources"), list):  # a consolidated target table: listed under each source table
                for s in r["sources"]:
                    by_table.setdefault(_key(s.get("source", "?"), s.get("table", "?")), []).append(
                        {**r, "rows": s.get("rows"), "source_checksum": s.get("checksum")})
                continue
            by_table.setdefault(_key(r.get("source", "?"), r.get("table", "?")), []).append(r)
        outcome_rows[phase] = by_table
        # per source table (a merged target counts under each source, partitions fold into their table)
        states = [_merge_outcome_rows(v)["state"] for v in by_table.values()]
        extras = {k: v for k, v in data.items()
                  if k not in ("tables", "dag_id", "run_id", "all_verified") and not isinstance(v, (dict, list))}
        phases.append({
            "phase": phase, "ran": True, "dag_id": data.get("dag_id"), "run_id": data.get("run_id"),
            "all_verified": data.get("all_verified"), "tables": len(by_table),
            "verified": sum(s == "verified" for s in states), "bad": sum(s in BAD_STATES for s in states),
            "extras": extras,
        })

    ledger: dict[tuple[str, str], dict[str, Any]] = {}
    for r in control.table_status:
        k = _key(r.get("source"), r.get("source_table"))
        chunk = control.chunks.get(r.get("table_id")) or {}
        entry = {**r, "chunks": chunk.get("chunks"), "chunks_copied": chunk.get("copied")}
        # several targets for one source table (a re-plan): keep the newest
        if k not in ledger or str(r.get("updated_at")) > str(ledger[k].get("updated_at")):
            ledger[k] = entry

    gx = gx_results(state / "gx" / "project" / "gx", links_from, problems)
    gx_by_table: dict[str, dict[str, Any]] = {}
    for g in gx:
        gx_by_table.setdefault(g["table"], g)

    planned = (plan or {}).get("tables") or []
    tables: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(instance: str, qualified: str, p: dict[str, Any] | None) -> None:
        k = _key(instance, qualified)
        if k in seen:
            return
        seen.add(k)
        dest = (p or {}).get("destination") or {}
        kind = dest.get("kind")
        order = [PHASE_BY_DESTINATION[kind]] if kind in PHASE_BY_DESTINATION else []
        order += [ph for ph in PHASES if ph not in order]
        outcome, outcome_phase = None, None
        for ph in order:
            if k in outcome_rows.get(ph, {}):
                outcome, outcome_phase = _merge_outcome_rows(outcome_rows[ph][k]), ph
                break
        led = ledger.get(k)
        if outcome:
            state, rows = outcome["state"], outcome["rows"]
            src_sum, dst_sum = outcome["source_checksum"], outcome["target_checksum"]
            evidence = f"{outcome_phase} outcome"
        elif led:
            state, rows = _ledger_state(led), led.get("rows")
            src_sum, dst_sum = led.get("source_checksum"), led.get("target_checksum")
            evidence = "control schema"
        else:
            state, rows, src_sum, dst_sum, evidence = NOT_RUN, None, None, None, None
        if not kind:
            kind = {"consolidate": "consolidated", "warehouse": "warehouse", "archive": "archive"}.get(
                outcome_phase or "", "consolidated" if led else "?")
        seconds = (outcome or {}).get("seconds")
        if seconds is None and led and led.get("status") == "copied":
            seconds = led.get("seconds")
        moved_bytes = (outcome or {}).get("bytes")
        if moved_bytes is None and led:
            moved_bytes = led.get("bytes")
        target_table = dest.get("table") or dest.get("location") or (outcome or {}).get("target_table") or (
            led or {}).get("target_table")
        g = gx_by_table.get(str((outcome or {}).get("target_table") or (led or {}).get("target_table")
                                or dest.get("table") or qualified))
        tables.append({
            "instance": instance, "table": qualified,
            "class": (p or {}).get("class", "?"), "confidence": (p or {}).get("confidence"),
            "flagged": bool((p or {}).get("flagged_for_review")), "decided_by": (p or {}).get("decided_by"),
            "model_class": (p or {}).get("model_class"), "settle": (p or {}).get("settle"),
            "reasons": (p or {}).get("reasons") or [], "skip": bool((p or {}).get("skip")),
            "destination": kind, "destination_detail": dest, "target": target_table,
            "planned_rows": (p or {}).get("rows"), "planned_bytes": (p or {}).get("bytes"),
            "rows": rows, "source_checksum": src_sum, "target_checksum": dst_sum, "state": state,
            "evidence": evidence, "seconds": seconds, "rows_per_second": _rate(rows, seconds),
            "bytes": moved_bytes if state in ("verified", "in progress", *BAD_STATES) else None,
            "status": (led or {}).get("status"), "error": (led or {}).get("error"),
            "attempts": (led or {}).get("attempts"),
            "chunks": (led or {}).get("chunks"), "chunks_copied": (led or {}).get("chunks_copied"),
            "conflicts": (p or {}).get("conflicts") or [],
            "gx": None if g is None else {"success": g["success"], "docs": g["docs"], "failures": g["failures"]},
            "in_plan": p is not None,
        })

    for p in planned:
        if isinstance(p, dict):
            add(p.get("instance", "?"), names.qualified(p.get("schema") or "?", p.get("table") or "?"), p)
    for ph in PHASES:  # tables the phases moved that the plan does not list (plan not run yet, or older)
        for instance, qualified in outcome_rows.get(ph, {}):
            add(instance, qualified, None)
    for instance, qualified in ledger:
        add(instance, qualified, None)

    dest_order = list(DESTINATION_COLOURS)
    tables.sort(key=lambda t: (STATES.index(t["state"]),
                               dest_order.index(t["destination"]) if t["destination"] in dest_order else 99,
                               t["instance"], t["table"]))

    counts = {s: sum(t["state"] == s for t in tables) for s in STATES}
    moved = [t for t in tables if t["state"] == "verified"]
    moved_bytes = [t["bytes"] for t in moved if isinstance(t["bytes"], int)]
    headline = {
        "tables": len(tables),
        "verified": counts["verified"],
        "bad": sum(counts[s] for s in BAD_STATES),
        "flagged": sum(t["flagged"] for t in tables),
        "not_run": counts[NOT_RUN],
        "in_progress": counts["in progress"] + counts["dry-run"],
        "rows_moved": sum(t["rows"] for t in moved if isinstance(t["rows"], int)),
        "bytes_moved": sum(moved_bytes),
        "bytes_known_for": len(moved_bytes),
        "by_class": _count_by(tables, "class"),
        "by_state": {s: n for s, n in counts.items() if n},
        "gx_failed": sum(1 for g in gx if not g["success"]),
    }
    if headline["bad"]:
        headline["verdict"], headline["tone"] = "attention: tables failed verification", "bad"
    elif tables and headline["verified"] == len(tables):
        headline["verdict"], headline["tone"] = "every table verified", "good"
    elif headline["verified"]:
        headline["verdict"], headline["tone"] = "in progress: no failures so far", "neutral"
    else:
        headline["verdict"], headline["tone"] = "nothing moved yet", "neutral"

    bytes_by_dest_planned: dict[str, int] = {}
    bytes_by_dest_moved: dict[str, int] = {}
    for t in tables:
        if isinstance(t["planned_bytes"], int):
            bytes_by_dest_planned[t["destination"]] = bytes_by_dest_planned.get(t["destination"], 0) + t["planned_bytes"]
        if t["state"] == "verified" and isinstance(t["bytes"], int):
            bytes_by_dest_moved[t["destination"]] = bytes_by_dest_moved.get(t["destination"], 0) + t["bytes"]

    conflicts = []
    for i, c in enumerate((plan or {}).get("conflicts") or []):
        if isinstance(c, dict):
            conflicts.append({"index": i, **_conflict_view(c)})

    archive_outcome = next((p for p in phases if p["phase"] == "archive"), None)
    return {
        "generated_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "state_dir": str(state),
        "config_file": str(config_file) if config_file else None,
        "plan": None if plan is None else {
            "generated_at": plan.get("generated_at"), "run_id": plan.get("run_id"),
            "instances": plan.get("instances") or [], "summary": plan.get("summary") or {},
        },
        "plan_link": os.path.relpath(state / "plan" / "plan.md", links_from) if (state / "plan" / "plan.md").is_file() else None,
        "phases": phases,
        "control": control,
        "tables": tables,
        "headline": headline,
        "throughput": [t for t in tables if t["rows_per_second"] is not None],
        "bytes_planned": bytes_by_dest_planned,
        "bytes_moved": bytes_by_dest_moved,
        "conflicts": conflicts,
        "merge": _merge_view(merge_decisions),
        "archive_outcome": archive_outcome,
        "archive_catalog": _catalog_view(control.archive_catalog),
        "reconcile": _reconcile_view(control.reconcile),
        "replay": control.replay,
        "gx": gx,
        "gx_index": _gx_index(state, links_from),
        "reasons": _reasons_by_class(tables),
        # tables under the review threshold, least sure first: what a person must settle before anything moves
        "review": sorted((t for t in tables if t["flagged"]),
                         key=lambda t: (t["confidence"] if t["confidence"] is not None else 0.0, t["instance"], t["table"])),
        "problems": problems,
    }


def _count_by(tables: Iterable[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in tables:
        out[str(t[key])] = out.get(str(t[key]), 0) + 1
    return dict(sorted(out.items()))


def _gx_index(state: Path, reports: Path) -> str | None:
    index = state / "gx" / "project" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return os.path.relpath(index, reports) if index.is_file() else None


def _short_json(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _merge_view(merge: dict[str, Any] | None) -> dict[str, Any] | None:
    """Per merged target table: key offsets, strategy, duplicates settled, key_map rows, rows still open."""
    if not merge:
        return None
    rows = []
    for t in merge.get("tables") or []:
        if not isinstance(t, dict):
            continue
        offsets = t.get("offsets") or {}
        rows.append({
            "target_table": t.get("target_table"), "sources": t.get("sources") or list(offsets),
            "key": t.get("key_column"),
            "offsets": ", ".join(f"{src} +{off}" for src, off in offsets.items()),
            "strategy": t.get("strategy"), "duplicates": t.get("duplicates", 0),
            "key_map_rows": t.get("key_map_rows", 0), "open": t.get("open", 0),
        })
    return {"tables": rows, "duplicates": merge.get("duplicates", sum(r["duplicates"] for r in rows)),
            "open": merge.get("open_conflicts", sum(r["open"] for r in rows))}


def _conflict_view(c: dict[str, Any]) -> dict[str, Any]:
    """A conflict with its resolution in words, for people (the raw detail goes into a <details>)."""
    res = c.get("resolution") or {}
    strategy = str(res.get("strategy") or "unresolved")
    words = {
        "key-remapping": lambda r: f"remap {r.get('column', 'key')} by {r.get('method', '?')}: "
        + ", ".join(f"{k} +{v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in (r.get("offsets") or {}).items())
        + (f"; rewrite FKs {', '.join(r['rewrite_foreign_keys'])}" if r.get("rewrite_foreign_keys") else ""),
        "type-widening": lambda r: f"widen to {r.get('target_type', '?')}",
        "widest-key": lambda r: f"key ({', '.join(r.get('columns') or [])})",
        "adopt-partitioned": lambda r: f"partition by {r.get('partition_key', '?')}",
        "add-column": lambda r: "add " + ", ".join(
            f"{a.get('name')} {a.get('type')}" + (f" default {a.get('default')}" if a.get("default") else "")
            for a in r.get("add_columns") or []),
        "source-wins": lambda r: f"keep {r.get('winner', 'the preferred source')}'s row"
        + (f" ({r['chosen_by']})" if r.get("chosen_by") else ""),
        "last-write-wins": lambda r: "keep the newest row" + (f" (by {r['chosen_by']})" if r.get("chosen_by") else "")
        + (f"; ties: {r['tie_break']}" if r.get("tie_break") else ""),
    }
    try:
        how = words[strategy](res) if strategy in words else ", ".join(
            f"{k}: {_short_json(v, 80)}" for k, v in res.items() if k != "strategy")
    except Exception:  # an unexpected resolution shape: show it raw
        how = _short_json({k: v for k, v in res.items() if k != "strategy"})
    note = res.get("note")
    return {
        "kind": c.get("kind", "?"), "table": c.get("table", "?"), "instances": c.get("instances") or [],
        "count": c.get("count"), "strategy": strategy, "how": how, "note": note,
        "manual": strategy in ("manual", "unresolved"),
        "overridable_by": c.get("overridable_by"),
        "detail": json.dumps({"detail": c.get("detail"), "sample": _masked(c.get("sample")), "resolution": res},
                             indent=2, sort_keys=True, default=str),
    }


EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def _masked(value: Any) -> Any:
    """Conflict samples hold real keys, often e-mail addresses: the page is shared widely, so each address keeps
    its first letter and its domain (enough to recognise a pattern, not a person). plan.json keeps them whole."""
    if isinstance(value, str):
        return EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


CATALOG_PREFERRED = ("source", "instance", "source_table", "table", "table_name", "location", "s3_uri", "uri",
                     "rows", "checksum", "bytes", "storage_class", "retention", "retention_until", "classification",
                     "reason", "verified", "archived_at", "dropped_from_source")


CATALOG_MONO = {"source_table", "table", "table_name", "location", "s3_uri", "uri", "checksum", "run_id"}


def _reconcile_view(rows: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The dual run's last pass per table, worst first, with the overall confirmed mismatch rate."""
    if rows is None:
        return None
    rows = sorted(rows, key=lambda r: (-(r.get("confirmed") or 0), -(r.get("unsettled") or 0), r["source"],
                                       r["source_table"]))
    compared = sum(r.get("rows_compared") or 0 for r in rows)
    confirmed = sum(r.get("confirmed") or 0 for r in rows)
    return {"rows": rows, "compared": compared, "confirmed": confirmed,
            "unsettled": sum(r.get("unsettled") or 0 for r in rows),
            "rate": (confirmed / compared) if compared else 0.0}


def _catalog_view(rows: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The archive catalog as columns + rows of text; long/JSON columns (DDL, schema) go into <details>."""
    if rows is None:
        return None
    if not rows:
        return {"columns": [], "mono": [], "rows": [], "details": []}
    cols = list(rows[0].keys())
    bulky = [c for c in cols if any(isinstance(r.get(c), (dict, list)) or len(str(r.get(c) or "")) > 120 for r in rows)]
    shown = [c for c in CATALOG_PREFERRED if c in cols and c not in bulky]
    shown += [c for c in cols if c not in shown and c not in bulky]
    return {
        "columns": shown,
        "mono": [c in CATALOG_MONO for c in shown],
        "rows": [[_fmt_cell(r.get(c)) for c in shown] for r in rows],
        "details": [{c: _short_json(r.get(c), 4000) for c in bulky} for r in rows],
    }


def _fmt_cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _reasons_by_class(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for t in sorted(tables, key=lambda t: (t["class"], not t["flagged"], t["instance"], t["table"])):  # review first
        if t["in_plan"]:
            groups.setdefault(t["class"], []).append(t)
    return [{"class": k, "tables": v} for k, v in sorted(groups.items())]


# --------------------------------------------------------------------------------------------- SVG


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def human_number(n: float | int | None) -> str:
    if n is None:
        return "—"
    n = float(n)
    for unit in ("", "k", "M", "G"):
        if abs(n) < 1000 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "" or abs(n) >= 100 else f"{n:.1f}{unit}"
        n /= 1000
    return str(n)


def human_bytes(n: int | float | None) -> str:
    if n is None:
        return "—"
    n = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def human_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def bar_chart_svg(items: Sequence[tuple[str, float, str]], *, width: int = 1230, unit: str = "rows/s",
                  title: str = "") -> Markup:
    """Horizontal bars: ``items`` is (label, value, colour). Well-formed XML, labels escaped, no xmlns URL
    (inline SVG in HTML needs none, and the page then names no external URL at all)."""
    bar_h, gap, label_w, value_w, top = 18, 6, 300, 90, 8
    plot_w = max(width - label_w - value_w, 50)
    height = top * 2 + max(len(items), 1) * (bar_h + gap)
    top_value = max((v for _, v, _ in items), default=0) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-label="{escape(title or unit)}">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    # light vertical grid at quarters
    for q in (0.25, 0.5, 0.75, 1.0):
        x = label_w + plot_w * q
        parts.append(f'<line x1="{_num(x)}" y1="{top}" x2="{_num(x)}" y2="{height - top}" stroke="#e0e0e0" stroke-width="1"/>')
    for i, (label, value, colour) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(plot_w * (value / top_value), 1.0)
        text = label if len(label) <= 44 else label[:43] + "…"
        parts.append(
            f'<g><title>{escape(label)}: {escape(f"{value:,.0f}")} {escape(unit)}</title>'
            f'<text x="{label_w - 8}" y="{_num(y + bar_h * 0.72)}" text-anchor="end" font-size="12">{escape(text)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{_num(w)}" height="{bar_h}" rx="2" fill="{escape(colour)}"/>'
            f'<text x="{_num(label_w + w + 6)}" y="{_num(y + bar_h * 0.72)}" font-size="12" fill="#424242">'
            f'{escape(human_number(value))} {escape(unit)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar_svg(rows: Sequence[tuple[str, Sequence[tuple[str, float, str]]]], *, width: int = 1230,
                    fmt=human_bytes, title: str = "", segment_values: bool = True) -> Markup:
    """One horizontal stacked bar per row: (row label, [(segment label, value, colour)]); all rows share a
    scale so they compare. Segments too narrow for text carry their figure in the tooltip and legend."""
    bar_h, gap, label_w, top, total_w = 26, 10, 110, 6, 110
    plot_w = width - label_w - total_w
    legend_h = 22
    height = top + max(len(rows), 1) * (bar_h + gap) + legend_h
    scale = max((sum(v for _, v, _ in segs) for _, segs in rows), default=0) or 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-label="{escape(title)}">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    legend: dict[str, str] = {}
    for i, (row_label, segs) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="{label_w - 8}" y="{_num(y + bar_h * 0.68)}" text-anchor="end" font-size="12">'
                     f'{escape(row_label)}</text>')
        x = float(label_w)
        total = sum(v for _, v, _ in segs)
        if not total:
            parts.append(f'<text x="{label_w}" y="{_num(y + bar_h * 0.68)}" font-size="12" fill="#757575">'
                         f'{escape(NOT_RUN)}</text>')
        for seg_label, value, colour in segs:
            legend.setdefault(seg_label, colour)
            if value <= 0:
                continue
            w = plot_w * value / scale
            parts.append(f'<g><title>{escape(row_label)} · {escape(seg_label)}: {escape(fmt(value))}</title>'
                         f'<rect x="{_num(x)}" y="{y}" width="{_num(max(w, 1))}" height="{bar_h}" fill="{escape(colour)}"/>')
            text = f"{seg_label} {fmt(value)}" if segment_values else seg_label
            if w > len(text) * 6.6 + 8:
                parts.append(f'<text x="{_num(x + 5)}" y="{_num(y + bar_h * 0.68)}" font-size="12" fill="#ffffff">'
                             f'{escape(text)}</text>')
            parts.append("</g>")
            x += w
        if total:
            parts.append(f'<text x="{_num(x + 6)}" y="{_num(y + bar_h * 0.68)}" font-size="12" fill="#424242">'
                         f'{escape(fmt(total))}</text>')
    ly = height - legend_h + 14
    lx = float(label_w)
    for seg_label, colour in legend.items():
        parts.append(f'<rect x="{_num(lx)}" y="{ly - 10}" width="12" height="12" fill="{escape(colour)}"/>'
                     f'<text x="{_num(lx + 16)}" y="{ly}" font-size="12">{escape(seg_label)}</text>')
        lx += 16 + len(seg_label) * 7 + 24
    parts.append("</svg>")
    return Markup("".join(parts))


def state_bar_svg(by_state: dict[str, int], *, width: int = 1264) -> Markup:
    """The ten-second view: one bar, a segment per table state (red, blue, green, grey)."""
    segs = [(f"{s} {by_state[s]}", float(by_state[s]), STATE_COLOURS[s]) for s in STATES if by_state.get(s)]
    return stacked_bar_svg([("tables", segs)], width=width, fmt=lambda v: f"{v:.0f}", title="tables by state",
                           segment_values=False)


# --------------------------------------------------------------------------------------------- render


def _fmt_num(n: Any) -> str:
    """A count for people; anything that is not a number (an outcome's "-" of a dry run) as it is."""
    if n is None:
        return "—"
    if isinstance(n, bool) or not isinstance(n, (int, float)):
        return str(n)
    return f"{n:,}" if isinstance(n, int) else f"{n:,.0f}"


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).with_name("templates"))),
        autoescape=True,  # every value, including names from the sources, is escaped
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(plural=lambda n, word: f"{n} {word}" + ("" if n == 1 else "s"),
                       num=_fmt_num,
                       hnum=human_number, bytes=human_bytes, secs=human_seconds,
                       state_colour=lambda s: STATE_COLOURS.get(s, "#9e9e9e"),
                       dest_colour=lambda d: DESTINATION_COLOURS.get(d, "#9e9e9e"),
                       short=lambda c, n=16: "—" if c is None else (str(c) if len(str(c)) <= n else str(c)[: n - 1] + "…"),
                       cell=_fmt_cell)
    return env


def render(model: dict[str, Any]) -> str:
    charts = {
        "states": state_bar_svg(model["headline"]["by_state"]) if model["tables"] else None,
        "throughput": bar_chart_svg(
            [(f"{t['instance']} · {t['table']}", t["rows_per_second"], DESTINATION_COLOURS.get(t["destination"], "#1565c0"))
             for t in sorted(model["throughput"], key=lambda t: -t["rows_per_second"])],
            title="rows per second per table") if model["throughput"] else None,
        "bytes": stacked_bar_svg(
            [(label, [(d, float(src.get(d, 0)), DESTINATION_COLOURS.get(d, "#9e9e9e"))
                      for d in sorted(set(model["bytes_planned"]) | set(model["bytes_moved"]),
                                      key=lambda d: list(DESTINATION_COLOURS).index(d) if d in DESTINATION_COLOURS else 99)])
             for label, src in (("planned", model["bytes_planned"]), ("moved", model["bytes_moved"]))],
            title="bytes by destination") if (model["bytes_planned"] or model["bytes_moved"]) else None,
    }
    return _environment().get_template(TEMPLATE).render(m=model, charts=charts, NOT_RUN=NOT_RUN,
                                                        BAD_STATES=BAD_STATES)


def _default_conn_uri(control_conn_id: str) -> str | None:
    return os.environ.get("TRIBUTARY_CONN_" + control_conn_id.upper())


def build(state_dir: Path | str | None = None, conn_uri: str | None = None, *, config_file: Path | str | None = None,
          output: Path | str | None = None) -> Path:
    """Write ``<state>/reports/migration-report.html`` from whatever exists; returns its path.

    ``conn_uri`` reaches the control schema; by default ``TRIBUTARY_CONN_<control connection id>`` from the
    environment (scripts source ``.stack/env``; an Airflow task passes the URI from its Connection).
    """
    from tributary import paths

    state = Path(state_dir) if state_dir else paths.state_dir()
    cfg = Path(config_file) if config_file else paths.config_path()
    conn_id, schema = _control_settings(cfg)
    uri = conn_uri if conn_uri is not None else _default_conn_uri(conn_id)
    control = read_control_schema(uri, schema)
    out = Path(output) if output else state / "reports" / REPORT_NAME
    model = build_model(state, control, config_file=cfg, page_dir=out.parent)
    html = render(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out


# ----------------------------------------------------------------------------------- as a DAG's last task

BAD_TASK_STATES = ("failed", "upstream_failed")


def _bad_tasks(states: Any, own_task_id: str) -> list[str]:
    """Task ids in a failed state, from ``get_task_states``' nested {run_id: {task_id: state}} answer."""
    bad: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif str(getattr(node, "value", node)) in BAD_TASK_STATES and key and key != own_task_id:
            bad.append(key)

    walk(states)
    return sorted(set(bad))


def build_for_run() -> str:
    """The ``report`` task: rebuild the page after every phase run; fail when the run failed.

    It runs whatever happened upstream (trigger rule ALL_DONE), so a failed run still leaves its report. Being
    the DAG's only leaf, it then fails itself when any other task of the run failed, so the run's state
    stays "failed" (Airflow judges a run by its leaves).
    """
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    from tributary import config, connections

    ctx = get_current_context()
    uri = None
    try:
        control = config.load().control_connection
        uri = connections.worker_env([control])[connections.env_name(control)]
    except Exception as exc:  # the control schema is optional for the page
        log.warning("report: control schema not reachable from this task: %s", exc.__class__.__name__)
    path = build(conn_uri=uri)
    log.info("migration report: %s", path)
    ti, dag_id, run_id = ctx["ti"], ctx["dag"].dag_id, ctx["run_id"]
    bad = _bad_tasks(ti.get_task_states(dag_id=dag_id, run_ids=[run_id]), ti.task_id)
    if bad:
        raise AirflowFailException(f"run {run_id} failed ({', '.join(bad)}); migration report: {path}")
    return str(path)


def add_to(dag, task_id: str = "report"):
    """Append the ``report`` task after every current leaf of ``dag`` (call it last, inside or after ``with DAG``).

    Every phase DAG calls this, so each run leaves ``<state>/reports/migration-report.html`` as its artefact.
    """
    from airflow.sdk import TriggerRule, task

    leaves = [t for t in dag.tasks if not t.downstream_list]
    report_task = task(task_id=task_id, trigger_rule=TriggerRule.ALL_DONE, retries=0, dag=dag)(build_for_run)()
    for leaf in leaves:
        leaf >> report_task
    return report_task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tributary.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", help="the state folder (default: $TRIBUTARY_STATE or <repo>/.stack)")
    parser.add_argument("--config", help="migration.yaml (default: $TRIBUTARY_CONFIG or config/migration.yaml)")
    parser.add_argument("--output", help=f"where to write the page (default: <state>/reports/{REPORT_NAME})")
    args = parser.parse_args(argv)
    print(build(args.state, config_file=args.config, output=args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
