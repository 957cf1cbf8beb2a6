"""Phase 1 (``tributary_discover``): the task callables the thin DAG file wires together.

Per source instance: ``scan`` (worker ``discover`` → an inventory file). Then ``conflicts`` (worker,
across all inventories), ``classify`` (scikit-learn, here in Python) and ``plan`` (plan.json +
plan.md, the Asset ``tributary://plan``). Files travel by path in the run's folder; XCom carries
their paths and small summaries only.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowSkipException

from tributary import config, names, paths, plan as planning, suites, worker

log = logging.getLogger(__name__)

GROUP = "instance"  # instance_<source>.scan_args, instance_<source>.scan


def group(source_id: str) -> str:
    """The task group scanning one source (its own group, so that its scan runs in the source's pool)."""
    return f"{GROUP}_{source_id}"


def run_dir(run_id: str) -> Path:
    """This run's working folder (inventories, conflicts, decisions); run ids hold ':' and '+'."""
    return paths.state_dir() / "discover" / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)


def current_plan_dir() -> Path:
    """Where phases 2-5 find the latest plan."""
    return paths.state_dir() / "plan"


def scan_argv(source_id: str) -> list[str]:
    ctx = get_current_context()
    out = run_dir(ctx["run_id"]) / f"{source_id}.inventory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = ["discover", "--conn", source_id, "--output", str(out)]
    excluded = next((s.get("exclude_schemas") or [] for s in config.load().raw["sources"] if s["id"] == source_id), [])
    for schema in excluded:
        argv += ["--exclude-schema", schema]
    if ctx["params"].get("exact_counts"):
        argv.append("--exact-counts")
    return argv


def _each(scans: Any) -> list[dict[str, Any]]:
    """The scans' results as a list (one result per source group; a lone dict is taken as a list of one)."""
    return [scans] if isinstance(scans, dict) else list(scans)


def conflicts_argv(scans: list[dict[str, Any]]) -> list[str]:
    scans = _each(scans)
    ctx = get_current_context()
    out = run_dir(ctx["run_id"]) / "conflicts.json"
    argv = ["conflicts", "--config", worker.config_path_for_worker(), "--output", str(out)]
    for scan in scans:
        argv += ["--inventory", scan["output"]]
    return argv


def classify(scans: list[dict[str, Any]]) -> dict[str, Any]:
    """Classify every table of every inventory; decisions go to a file, a summary to XCom."""
    from tributary.classify import classify_inventory

    ctx = get_current_context()
    cfg = config.load()
    min_confidence = ctx["params"].get("min_confidence")
    overrides = planning.overrides_from(cfg)
    decisions = []
    for inventory in planning.read_json_files(s["output"] for s in _each(scans)):
        decisions += classify_inventory(inventory, min_confidence=min_confidence, overrides=overrides)
    out = run_dir(ctx["run_id"]) / "decisions.json"
    out.write_text(json.dumps(decisions, indent=1))
    by_class: dict[str, int] = {}
    for d in decisions:
        by_class[d["class"]] = by_class.get(d["class"], 0) + 1
        log.info("%-44s %-11s %.2f  %s", names.qualified(d["instance"], d["schema"], d["table"]), d["class"],
                 d["confidence"], "; ".join(d["reasons"][:2]))
    # as an override in migration.yaml names them (tables[].match)
    flagged = [names.qualified(d["instance"], d["schema"], d["table"]) for d in decisions if d["flagged_for_review"]]
    if flagged:
        log.warning("flagged for review (confidence below %s): %s", min_confidence, ", ".join(flagged))
    return {"output": str(out), "tables": len(decisions), "by_class": by_class, "flagged_for_review": flagged}


def make_plan(scans: list[dict[str, Any]], conflicts: dict[str, Any], decisions: dict[str, Any]) -> dict[str, Any]:
    """Write plan.json + plan.md; on a dry run stop here (skipped: no Asset event, phases 2-5 don't start)."""
    ctx = get_current_context()
    cfg = config.load()
    inventories = planning.read_json_files(s["output"] for s in _each(scans))
    (conflict_doc,) = planning.read_json_files([conflicts["output"]])
    (decided,) = planning.read_json_files([decisions["output"]])
    table_filter = ctx["params"].get("table_filter")
    for inv in inventories:
        inv["tables"] = [t for t in inv["tables"]
                         if config.matches(names.qualified(inv["instance"], t["schema"], t["name"]), table_filter)]
    plan = planning.build_plan(cfg, inventories, decided, conflict_doc["conflicts"], run_id=ctx["run_id"],
                               grouping=conflict_doc)
    json_path, md_path = planning.write(plan, run_dir(ctx["run_id"]))
    log.info("plan: %s\n%s", md_path, md_path.read_text())
    summary = {"plan": str(json_path), "report": str(md_path), **plan["summary"]}
    if ctx["params"].get("dry_run"):
        raise AirflowSkipException(f"dry run: plan written to {md_path}; no plan published, later phases not triggered")
    current = current_plan_dir()
    current.mkdir(parents=True, exist_ok=True)
    shutil.copy2(json_path, current / "plan.json")
    shutil.copy2(md_path, current / "plan.md")
    summary["published"] = str(current / "plan.json")
    return summary


def generate_expectations(scans: list[dict[str, Any]], planned: dict[str, Any]) -> dict[str, Any]:
    """(Re)generate the GX suites of every table that lands in a database from this plan's profile.

    Writes the generated layer only (``expectations/generated/``); hand-written overlays are never touched.
    """
    return suites.generate(Path(planned["published"]), [Path(s["output"]) for s in _each(scans)])
