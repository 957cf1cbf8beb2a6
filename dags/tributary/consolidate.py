"""Phase 2 (``tributary_consolidate``): the task callables the thin DAG file wires together.

Per table: ``plan`` (worker argv; a short-circuit, so a dry run stops here) -> ``copy`` (worker)
-> ``checksum_target`` (worker, on the consolidated connection) -> ``verify`` (XCom vs XCom)
-> ``gx_gate``. Then ``outcome`` for all tables.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from tributary import config, connections, gate, outcome as outcome_table, paths, verify as verification, worker

log = logging.getLogger(__name__)

GROUP = "table"  # the mapped task group's id; task ids are table.copy, table.verify, ...
REPORT_NAME = "consolidate-outcome.json"


def select_tables(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tables of this run: the parse-time list from migration.yaml, narrowed by ``table_filter``."""
    params = get_current_context()["params"]
    chosen = config.select([config.TableJob.from_dict(j) for j in jobs], params.get("table_filter"))
    if not chosen:
        names = ", ".join(f"{j['source']}.{j['table']}" for j in jobs) or "none"
        raise AirflowFailException(f"table_filter {params.get('table_filter')!r} matches no table (configured: {names})")
    log.info("tables in this run: %s", ", ".join(j.name for j in chosen))
    return [j.as_dict() for j in chosen]


def plan(job: dict[str, Any], consolidated: str) -> dict[str, Any] | None:
    """Worker argv for this table; returns None on a dry run, which skips the rest of the table."""
    ctx = get_current_context()
    if ctx["params"].get("dry_run"):
        log.info("dry run: would copy %s.%s -> %s", job["source"], job["table"], job["target_table"])
        return None
    copy = [
        "copy",
        "--config", worker.config_path_for_worker(),
        "--source", job["source"],
        "--table", job["table"],
        "--target", consolidated,
        "--target-table", job["target_table"],
        "--run-id", ctx["run_id"],
    ]
    checksum = ["checksum", "--conn", consolidated, "--table", job["target_table"]]
    return {"copy": copy, "checksum": checksum}


def verify(job: dict[str, Any], copied: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    row = verification.compare(job, copied, target)
    row["status"] = copied.get("status")  # "copied" or "skipped" (the ledger had it already)
    log.info("%s.%s verified: %s rows, checksum %s", job["source"], job["table"], row["rows"], row["target_checksum"])
    return row


def gx_gate(job: dict[str, Any], verified: dict[str, Any], consolidated: str) -> dict[str, Any]:
    uri = connections.worker_env([consolidated])[connections.env_name(consolidated)]
    ctx = get_current_context()
    return gate.check(
        connection_uri=uri,
        table=job["target_table"],
        key=job.get("key") or [],
        expected_rows=int(verified["rows"]),
        run_name=re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{ctx['dag'].dag_id}__{ctx['run_id']}"),  # GX keys forbid "/"
    )


def _pull(ti, task: str, index: int):
    return ti.xcom_pull(task_ids=f"{GROUP}.{task}", map_indexes=index, default=None)


def summarize(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outcome table for every selected table, including the ones that failed or were skipped."""
    ctx = get_current_context()
    ti, dry_run = ctx["ti"], bool(ctx["params"].get("dry_run"))
    rows = []
    for i, job in enumerate(jobs):
        verified = _pull(ti, "verify", i)
        gated = _pull(ti, "gx_gate", i)
        if verified and gated and gated.get("success"):
            rows.append(verified)
            continue
        copied = _pull(ti, "copy", i) or {}
        target = _pull(ti, "checksum_target", i) or {}
        state = "dry-run" if dry_run else ("gate failed" if verified else False)
        rows.append({
            "table": job["table"], "source": job["source"], "target_table": job["target_table"],
            "rows": copied.get("rows", "-"), "source_checksum": copied.get("checksum"),
            "target_checksum": target.get("checksum"), "verified": state,
        })
    return rows


def finish(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log and write the outcome table; fail unless every table verified (skip on a dry run: no Asset event)."""
    ctx = get_current_context()
    rows = summarize(jobs)
    table = outcome_table.render(rows)
    log.info("outcome of %s:\n%s", ctx["run_id"], table)
    outcome_table.write_report(
        rows, paths.reports_dir() / REPORT_NAME, {"dag_id": ctx["dag"].dag_id, "run_id": ctx["run_id"]}
    )
    if ctx["params"].get("dry_run"):
        raise AirflowSkipException("dry run: nothing was copied")
    if not outcome_table.all_verified(rows):
        bad = ", ".join(f"{r['source']}.{r['table']}" for r in rows if r.get("verified") is not True)
        raise AirflowFailException(f"not verified: {bad}")
    return rows
