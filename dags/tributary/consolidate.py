"""Phase 2 (``tributary_consolidate``): the task callables the thin DAG file wires together.

``select_tables`` (the plan's application tables, else migration.yaml) -> ``schema_pre_data`` (worker: tables,
types, sequences; widened where instances disagree) and ``resolve`` (worker: key offsets, duplicate natural
keys, key map; many-to-one) -> ``copy_args`` / ``targets`` (what to map: nothing on a dry run) -> per source
table ``copy_<source>.copy`` (one mapped group per source, in that source's pool)
(worker, chunked, projecting remapped keys) -> ``schema_post_data`` (worker: indexes, keys, FKs validated,
views, sequences) and per target table ``target.checksum_target`` (worker) ->
``target.verify`` (the sources' checksums, summed mod 2^64, against the target's) -> ``target.gx_gate``
-> ``outcome`` (one row per target table).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from tributary import config, connections, gate, names, outcome as outcome_table, paths, pushgateway

log = logging.getLogger(__name__)

COPY_GROUP = "copy"  # copy_<source>.copy: one group per source, mapped over that source's tables
TARGET_GROUP = "target"  # mapped over target tables: target.checksum_target, target.verify, target.gx_gate
REPORT_NAME = "consolidate-outcome.json"
MASK64 = (1 << 64) - 1


def _plan() -> dict[str, Any] | None:
    path = paths.state_dir() / "plan" / "plan.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _plan_of_run(params: dict[str, Any]) -> dict[str, Any] | None:
    """The plan this run's tables come from: None with ``tables_from=config`` or when no plan exists."""
    return _plan() if params.get("tables_from", "plan") == "plan" else None


def select_tables(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The source tables of this run: the plan's application tables (``tables_from=plan`` and a plan exists),
    else migration.yaml's consolidate.tables/split; narrowed by ``table_filter``."""
    params = get_current_context()["params"]
    cfg = config.load()
    candidates = [config.TableJob.from_dict(j) for j in jobs]
    origin = "migration.yaml"
    plan = _plan_of_run(params)
    if plan is not None:
        candidates = cfg.plan_tables(plan) + cfg.split_tables()
        origin = f"the plan ({plan.get('generated_at', '?')})"
    chosen = config.select(candidates, params.get("table_filter"))
    from tributary import cutover  # imported late: only this task needs it

    away = cutover.switched_away()
    if away and any(j.source in away for j in chosen):
        # Their applications write to the consolidated database now: a copy from the source would overwrite that.
        log.warning("left out, their applications are switched to the consolidated database (tributary_rollback first"
                    " to copy them again): %s", ", ".join(f"{x} ({state})" for x, state in sorted(away.items())))
        chosen = [j for j in chosen if j.source not in away]
    if not chosen:
        names = ", ".join(j.name for j in candidates) or "none"
        raise AirflowFailException(f"table_filter {params.get('table_filter')!r} matches no table of {origin} ({names})")
    default_target = cfg.consolidated_connection
    out = [{**j.as_dict(), "target": j.target or default_target} for j in chosen]
    log.info("%d tables from %s: %s", len(out), origin, ", ".join(j.name for j in chosen))
    return out


def copy_group(source: str) -> str:
    """The mapped group copying one source's tables: its own group so that it can run in the source's pool
    (a pool is fixed per task, not per map index)."""
    return f"{COPY_GROUP}_{source}"


def targets(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per target table, with the copy tasks (source, map index) of the source tables that feed it."""
    by_target: dict[tuple[str, str], dict[str, Any]] = {}
    from tributary import pools

    for job, copy_task in zip(jobs, pools.map_indexes(jobs)):
        key = (job["target"], job["target_table"])
        entry = by_target.setdefault(key, {"target": job["target"], "target_table": job["target_table"],
                                           "key": job.get("key") or [], "sources": [], "copies": []})
        entry["sources"].append({"source": job["source"], "table": job["table"]})
        entry["copies"].append(list(copy_task))
    merged = [t for t in by_target.values() if len(t["sources"]) > 1]
    log.info("%d target tables, %d fed by several instances: %s", len(by_target), len(merged),
             ", ".join(t["target_table"] for t in merged) or "none")
    return list(by_target.values())


def resolve_argv(jobs: list[dict[str, Any]]) -> list[str]:
    """``tributary resolve`` over every selected table (it only acts on target tables with several sources)."""
    from tributary import worker

    ctx = get_current_context()
    argv = ["resolve", "--config", worker.config_path_for_worker(), "--run-id", ctx["run_id"]]
    for j in jobs:
        argv += ["--table", f"{j['source']}:{j['table']}={j['target_table']}@{j['target']}"]
    if ctx["params"].get("dry_run"):
        argv.append("--dry-run")
    return argv


def whole_sources(jobs: list[dict[str, Any]], plan: dict[str, Any] | None, cfg: config.MigrationConfig) -> list[str]:
    """The sources this run consolidates **whole under their own names**, whose schema ``tributary schema --whole``
    restores from their own pg_dump (everything pg_dump describes: extensions, collations, inheritance, comments,
    grants, constraint names...), rather than builds table by table.

    A source qualifies only when the plan this run's tables come from (None: never; without it nobody knows every
    table a source has, and a restore brings every one of them) says, for every table it lists of that source:
    an application table, going to the consolidated target under its own schema.table, not skipped, not waiting
    for review; and every such table (partitions excepted: their parent's copy fills them) is selected in this run
    under that name, no table of the source goes anywhere else, no other source's table goes into one of its
    tables (merged), and the source has no ``target_schema``. Everything else keeps the table-by-table builder
    (merged, widened, renamed, partially selected). A run of some tables of a source restored whole by an earlier
    run is built table by table too: the builder leaves every object the restore made as it is (checked by
    FilteredRunAfterWholeRunTest), and the ``truncate`` Param of a table other tables reference is exit 2 with
    the fix."""
    if not plan:
        return []
    target = cfg.consolidated_connection
    renamed = {s["id"] for s in cfg.raw.get("sources", []) if s.get("target_schema")}
    listed: dict[str, list[dict[str, Any]]] = {}
    for t in plan.get("tables", []):
        listed.setdefault(t["instance"], []).append(t)
    selected: dict[str, set[tuple[str, str, str]]] = {}
    for j in jobs:
        selected.setdefault(j["source"], set()).add((j["table"], j["target_table"], j["target"] or target))
    whole = []
    for source, own in selected.items():
        rows = listed.get(source) or []
        if source in renamed or not rows:
            continue
        names_of = {names.qualified(t["schema"], t["table"]) for t in rows}
        if any(t.get("class") != "application" or t.get("skip") or t.get("flagged_for_review")
               or (t.get("destination") or {}).get("kind") != "consolidated"
               or (t["destination"].get("connection") or target) != target
               or t["destination"].get("table") != names.qualified(t["schema"], t["table"]) for t in rows):
            continue
        copied = {names.qualified(t["schema"], t["table"]) for t in rows if t.get("kind", "table") in ("table", "partitioned")}
        if own != {(n, n, target) for n in copied}:
            continue  # a table left out by table_filter, split elsewhere, or renamed
        merged_in = any(j["source"] != source and (j["target"] or target) == target and j["target_table"] in names_of
                        for j in jobs)
        if not merged_in:
            whole.append(source)
    return whole


def schema_argv(jobs: list[dict[str, Any]], phase: str) -> list[str]:
    """``tributary schema --phase pre-data|post-data`` for the selected tables of the consolidated target
    (tables split to other targets are created by their copy). Sources consolidated whole under their own names
    (``whole_sources``) are named by ``--whole --source ID`` (restored from their own pg_dump), the others' tables
    by ``--table``, in one call. A dry run prints the DDL, changing nothing."""
    from tributary import worker

    ctx = get_current_context()
    if phase == "post-data" and ctx["params"].get("dry_run"):
        raise AirflowSkipException("dry run: nothing was copied, so no post-data")  # as when it followed the copies
    cfg = config.load()
    target = cfg.consolidated_connection
    argv = ["schema", "--config", worker.config_path_for_worker(), "--phase", phase, "--target", target,
            "--parallelism", str(ctx["params"].get("parallelism") or cfg.default_parallelism)]
    whole = whole_sources(jobs, _plan_of_run(ctx["params"]), cfg)
    if whole:
        log.info("consolidated whole under their own names (schema restored from their pg_dump): %s", ", ".join(whole))
        argv.append("--whole")
        for source in whole:
            argv += ["--source", source]
    for j in jobs:
        if j["target"] == target and j["source"] not in whole:
            argv += ["--table", f"{j['source']}:{j['table']}={j['target_table']}"]
    if ctx["params"].get("dry_run"):
        argv.append("--dry-run")
    return argv


def copy_argv(job: dict[str, Any], run_id: str, parallelism: int | None, truncate: bool = False) -> list[str]:
    """``tributary copy`` of one source table into its target table (keys projected as resolve decided).
    ``parallelism``: the DAG run's Param; None lets the worker take the table's own from migration.yaml.
    ``truncate``: replace what earlier runs copied (one source's rows only, where several sources fill a table)."""
    from tributary import worker

    argv = [
        "copy",
        "--config", worker.config_path_for_worker(),
        "--source", job["source"],
        "--table", job["table"],
        "--target", job["target"],
        "--target-table", job["target_table"],
        "--run-id", run_id,
    ]
    if parallelism:
        argv += ["--parallelism", str(parallelism)]
    return argv + ["--truncate"] if truncate else argv


def _dry_run() -> bool:
    return bool(get_current_context()["params"].get("dry_run"))


def _parallelism_within_pool(cfg: config.MigrationConfig, source: str, requested: int | None) -> int | None:
    """The chunk workers a copy of ``source`` may start: the run's Param (or None: the table's own) lowered to what
    the copy's pool slots hold (pools.copy_parallelism_cap), so a copy never opens more sessions than it took."""
    from tributary import pools

    cap = pools.copy_parallelism_cap(cfg, source)
    wanted = requested or pools.source_parallelism(cfg, source)
    if wanted <= cap:
        return requested
    log.warning("%s: parallelism %d lowered to %d to fit pool %s (sources[].max_sessions)", source, wanted, cap,
                pools.pool_name(source))
    return cap


def copy_args(jobs: list[dict[str, Any]], source: str) -> list[list[str]]:
    """What ``copy_<source>`` is mapped over: one argv per table of ``source``, in ``jobs`` order (``targets``
    refers to them by that index, pools.map_indexes). A dry run maps NO copies: zero mapped tasks cannot copy
    anything, whatever an executor does with skips inside mapped groups (a short-circuit there did not skip its
    downstream tasks under a real scheduler); ``outcome`` still lists every table."""
    from tributary import pools

    ctx = get_current_context()
    jobs = pools.of_source(jobs, source)
    if _dry_run():
        for job in jobs:
            log.info("dry run: would copy %s.%s -> %s %s", job["source"], job["table"], job["target"],
                     job["target_table"])
        return []
    parallelism = _parallelism_within_pool(config.load(), source, ctx["params"].get("parallelism"))
    truncate = bool(ctx["params"].get("truncate"))
    return [copy_argv(job, ctx["run_id"], parallelism, truncate) for job in jobs]


def target_checks(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ``target`` is mapped over: per target table its entry and the checksum argv (none on a dry run)."""
    if _dry_run():
        return []
    return [{"entry": t, "argv": ["checksum", "--conn", t["target"], "--table", t["target_table"]]}
            for t in targets(jobs)]


def _pull_copies(ti, copies: list[list[Any]]) -> list[dict[str, Any] | None]:
    return [ti.xcom_pull(task_ids=f"{copy_group(source)}.copy", map_indexes=i, default=None) for source, i in copies]


def combine(copies: list[dict[str, Any]]) -> tuple[int, str]:
    """Rows add up; checksums (sums of 64-bit row hashes) add up mod 2^64: the sources' share of the target."""
    rows = sum(int(c["rows"]) for c in copies)
    total = sum(int(c["checksum"], 16) for c in copies) & MASK64
    return rows, f"{total:016x}"


def verify(target: dict[str, Any], checked: dict[str, Any]) -> dict[str, Any]:
    """The sum of the sources' checksums (each computed by its source over the projected SELECT) must equal the
    target's own checksum over the whole table; rows likewise."""
    ti = get_current_context()["ti"]
    copies = _pull_copies(ti, target["copies"])
    names = [f"{s['source']}.{s['table']}" for s in target["sources"]]
    missing = [n for n, c in zip(names, copies) if not c or c.get("checksum") is None]
    if missing:
        raise AirflowFailException(f"{target['target_table']}: cannot verify, no copy result for {', '.join(missing)}")
    rows, checksum = combine(copies)
    row = {
        "table": target["target_table"],
        "source": "+".join(s["source"] for s in target["sources"]),
        "target": target["target"],
        "target_table": target["target_table"],
        "sources": [{"source": s["source"], "table": s["table"], "rows": c["rows"], "checksum": c["checksum"],
                     "status": c.get("status")} for s, c in zip(target["sources"], copies)],
        "rows": rows,
        "target_rows": checked.get("rows"),
        "source_checksum": checksum,
        "target_checksum": checked.get("checksum"),
        "status": "skipped" if all(c.get("status") == "skipped" for c in copies) else "copied",
        "verified": False,
    }
    problems = []
    if checked.get("rows") is None or int(checked["rows"]) != rows:
        problems.append(f"rows {rows} (sum of sources) != {checked.get('rows')} (target)")
    if checked.get("checksum") != checksum:
        problems.append(f"checksum {checksum} (sum of sources) != {checked.get('checksum')} (target)")
    if problems:
        raise AirflowFailException(f"{target['target']} {target['target_table']} NOT verified: " + "; ".join(problems))
    row["verified"] = True
    log.info("%s verified: %s rows from %s, checksum %s", target["target_table"], rows, ", ".join(names), checksum)
    return row


def gx_gate(target: dict[str, Any], verified: dict[str, Any]) -> dict[str, Any]:
    uri = connections.worker_env([target["target"]])[connections.env_name(target["target"])]
    ctx = get_current_context()
    return gate.check(
        connection_uri=uri,
        table=target["target_table"],
        key=target.get("key") or [],
        expected_rows=int(verified["rows"]),
        run_name=re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{ctx['dag'].dag_id}__{ctx['run_id']}"),  # GX keys forbid "/"
    )


def _pull(ti, task: str, index: int):
    return ti.xcom_pull(task_ids=f"{TARGET_GROUP}.{task}", map_indexes=index, default=None)


def summarize(target_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outcome table: one row per target table, including the ones that failed or were skipped."""
    ctx = get_current_context()
    ti, dry_run = ctx["ti"], bool(ctx["params"].get("dry_run"))
    rows = []
    for i, target in enumerate(target_list):
        verified = _pull(ti, "verify", i)
        gated = _pull(ti, "gx_gate", i)
        if verified and gated and gated.get("success"):
            rows.append(verified)
            continue
        copies = [c or {} for c in _pull_copies(ti, target["copies"])]
        checked = _pull(ti, "checksum_target", i) or {}
        state = "dry-run" if dry_run else ("gate failed" if verified else False)
        rows.append({
            "table": target["target_table"], "source": "+".join(s["source"] for s in target["sources"]),
            "target": target["target"], "target_table": target["target_table"],
            "sources": [{**s, "rows": c.get("rows"), "checksum": c.get("checksum")} for s, c in zip(target["sources"], copies)],
            "rows": sum(int(c["rows"]) for c in copies if c.get("rows") is not None) if copies else "-",
            "source_checksum": None, "target_checksum": checked.get("checksum"), "verified": state,
            "gate": ti.xcom_pull(task_ids=f"{TARGET_GROUP}.gx_gate", map_indexes=i, key=gate.XCOM_KEY, default=None),
        })
    return rows


def finish(jobs: list[dict[str, Any]], resolved: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Log and write the outcome table; fail unless every target table verified (skip on a dry run)."""
    ctx = get_current_context()
    pushgateway.forget_dead_workers(["copy"], jobs)  # every copy of this run has ended
    rows = summarize(targets(jobs))
    log.info("outcome of %s:\n%s", ctx["run_id"], outcome_table.render(rows))
    merge = _merge_summary(resolved)
    if merge:
        log.info("merge: %s", merge["line"])
    outcome_table.write_report(
        rows, paths.reports_dir() / REPORT_NAME,
        {"dag_id": ctx["dag"].dag_id, "run_id": ctx["run_id"], **({"merge": merge} if merge else {})},
    )
    if ctx["params"].get("dry_run"):
        raise AirflowSkipException("dry run: nothing was copied")
    if not outcome_table.all_verified(rows):
        bad = ", ".join(r["table"] for r in rows if r.get("verified") is not True)
        gates = " | ".join(f"{r['target_table']}: {gate.failure_summary(r['gate'])}" for r in rows if r.get("gate"))
        raise AirflowFailException(f"not verified: {bad}" + (f" — {gates}" if gates else ""))
    return rows


def _merge_summary(resolved: dict[str, Any] | None) -> dict[str, Any] | None:
    if not resolved or "tables" not in resolved:
        return None
    tables = [{k: t.get(k) for k in ("target_table", "sources", "key_column", "offsets", "strategy", "duplicates",
                                      "open", "key_map_rows")} for t in resolved["tables"]]
    line = (f"{len(tables)} target tables merged from several instances, {resolved.get('duplicates', 0)} duplicate "
            f"natural keys settled, {resolved.get('open_conflicts', 0)} open in tributary.conflict_queue")
    return {"tables": tables, "duplicates": resolved.get("duplicates", 0),
            "open_conflicts": resolved.get("open_conflicts", 0), "line": line}
