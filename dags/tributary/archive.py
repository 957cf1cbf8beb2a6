"""Phase 4 (``tributary_archive``) and its way back (``tributary_restore``): the task callables.

Archive, per table: ``plan`` (worker argv; a short-circuit, so a dry run stops here) -> ``archive``
(worker: Parquet to S3, catalog, read-back verification, optional source drop) -> ``verify`` (the
source's figures vs the read-back figures, from XCom). Then ``outcome`` for all tables.

Which tables: the discovery plan's ``unknown`` tables (destination ``archive``), plus the tables
``archive.tables`` names in migration.yaml, minus ``archive.exclude`` and tables the plan skips; the
plan is read when the run starts (never at parse time).

Restore: ``restore_args`` -> ``thaw`` (worker: ask S3 to restore objects in an archive storage class
and report progress; exit 4 while S3 is still restoring, so Airflow retries it later) -> ``load``
(worker: recreate the table from the archived DDL, load the rows, verify the checksum).
"""

from __future__ import annotations

import fnmatch
import json
import logging
from typing import Any

from tributary import config, names, outcome as outcome_table, paths, pushgateway, worker

log = logging.getLogger(__name__)

GROUP = "table"  # table_<source>.plan, table_<source>.archive, ...: one mapped group per source (its pool)


def group(source: str) -> str:
    """The mapped group archiving one source's tables (its own group, so its archive runs in the source's pool)."""
    return f"{GROUP}_{source}"
REPORT_NAME = "archive-outcome.json"
RESTORE_REPORT_NAME = "restore-outcome.json"


# ----------------------------------------------------------------------------------- parse time


def archive_target(cfg: config.MigrationConfig) -> dict[str, Any]:
    return cfg.raw["targets"].get("archive") or {}


def archive_connections(cfg: config.MigrationConfig) -> list[str]:
    """What an archive worker may open: every source, the control schema, the archive's S3 connection."""
    ids = list(cfg.source_ids) + [cfg.control_connection]
    if archive_target(cfg).get("connection"):
        ids.append(archive_target(cfg)["connection"])
    return sorted(set(ids))


ARCHIVE_KEY_SECRET = "tributary-archive-key"


def key_secret_env(cfg: config.MigrationConfig) -> dict[str, tuple[str, str]]:
    """With client-side encryption by a raw-aes keyring, the worker pods get the master key's variable from the
    Kubernetes Secret ``tributary-archive-key`` (key ``key``); the kms keyring needs no secret (IAM)."""
    cse = archive_target(cfg).get("client_side_encryption") or {}
    if cse.get("keyring") == "raw-aes":
        return {cse["key_env"]: (ARCHIVE_KEY_SECRET, "key")}
    return {}


def restore_targets(cfg: config.MigrationConfig) -> list[str]:
    """Connections a restore may write to: the consolidated target, the warehouse, and ``restore_targets``."""
    targets = cfg.raw["targets"]
    ids = [targets["consolidated"]["connection"]]
    if targets.get("warehouse"):
        ids.append(targets["warehouse"]["connection"])
    ids += archive_target(cfg).get("restore_targets", [])
    return list(dict.fromkeys(ids))


def restore_connections(cfg: config.MigrationConfig) -> list[str]:
    ids = [cfg.control_connection, *restore_targets(cfg)]
    if archive_target(cfg).get("connection"):
        ids.append(archive_target(cfg)["connection"])
    return sorted(set(ids))


# ----------------------------------------------------------------------------------- table selection


def _matches_any(qualified: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(qualified, p) for p in patterns)


def candidates(cfg: config.MigrationConfig, plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The tables to archive: the plan's archive destinations plus ``archive.tables``, minus exclusions.

    A concrete ``archive.tables`` entry (no glob) that the plan does not know is still archived (the
    plan may be older than the table); its reason says the config named it.
    """
    section = cfg.raw.get("archive") or {}
    named, excluded = section.get("tables", []), section.get("exclude", [])
    jobs: dict[str, dict[str, Any]] = {}
    for t in (plan or {}).get("tables", []):
        qualified = names.qualified(t["instance"], t["schema"], t["table"])
        wanted = t.get("destination", {}).get("kind") == "archive"
        by_config = _matches_any(qualified, named)
        if not (wanted or by_config) or t.get("skip") or t.get("kind", "table") not in ("table", "partitioned table"):
            continue
        reasons = list(t.get("reasons") or [])
        if by_config and not wanted:
            reasons = [f"named in migration.yaml archive.tables (classified {t.get('class')})"] + reasons
        jobs[qualified] = {"source": t["instance"], "table": names.qualified(t["schema"], t["table"]),
                           "class": t.get("class", "unknown"), "reasons": reasons[:8]}
    for pattern in named:
        if any(ch in pattern for ch in "*?[") or pattern in jobs:
            continue
        instance, schema, table = names.parse(pattern, 3, "archive.tables[]")
        if instance in cfg.source_ids:
            jobs[pattern] = {"source": instance, "table": names.qualified(schema, table), "class": "unknown",
                             "reasons": ["named in migration.yaml archive.tables"]}
    return [j for q, j in sorted(jobs.items()) if not _matches_any(q, excluded)]


def read_plan() -> dict[str, Any] | None:
    path = paths.state_dir() / "plan" / "plan.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def chosen_tables() -> list[dict[str, Any]]:
    """This run's tables (plan + config), narrowed by the ``table_filter`` Param."""
    from airflow.sdk import get_current_context

    params = get_current_context()["params"]
    cfg = config.load()
    plan = read_plan()
    if plan is None:
        log.warning("no discovery plan at %s: archiving only what migration.yaml archive.tables names",
                    paths.state_dir() / "plan" / "plan.json")
    return [j for j in candidates(cfg, plan)
            if config.matches(f"{j['source']}.{j['table']}", params.get("table_filter"))]


def select_tables() -> list[dict[str, Any]]:
    """The tables the per-table group is mapped over. A dry run maps none (a short-circuit inside a mapped
    group does not reliably skip its downstream tasks under a scheduler), so it cannot archive or drop
    anything; ``finish`` still reports what it would have done."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowSkipException

    params = get_current_context()["params"]
    jobs = chosen_tables()
    if not jobs:
        # Nothing unknown or unused is a good outcome, not a failure.
        raise AirflowSkipException(f"no table to archive (table_filter {params.get('table_filter')!r})")
    names = ", ".join(f"{j['source']}.{j['table']}" for j in jobs)
    if params.get("dry_run"):
        log.info("dry run: would archive %s%s", names,
                 "; then drop each source once the hold has passed" if params.get("drop_source") else "")
        return []
    log.info("tables to archive: %s", names)
    return jobs


# ----------------------------------------------------------------------------------- per table


def archive_argv(job: dict[str, Any], run_id: str, drop_source: bool) -> list[str]:
    argv = ["archive", "--config", worker.config_path_for_worker(), "--source", job["source"],
            "--table", job["table"], "--run-id", run_id, "--class", job.get("class") or "unknown"]
    for reason in job.get("reasons") or []:
        argv += ["--reason", reason]
    if drop_source:
        argv.append("--drop-source")
    return argv


def plan(job: dict[str, Any]) -> list[str]:
    """Worker argv for this table (a dry run maps no table, see ``select_tables``)."""
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    return archive_argv(job, ctx["run_id"], bool(ctx["params"].get("drop_source")))


def verify(job: dict[str, Any], archived: dict[str, Any]) -> dict[str, Any]:
    """The source database's figures against the figures recomputed from the objects read back."""
    from airflow.sdk.exceptions import AirflowFailException

    row = outcome_row(job, archived)
    if row["verified"] is not True:
        raise AirflowFailException(
            f"{job['source']}.{job['table']}: archive does not match its source (rows {archived.get('rows')} vs"
            f" {archived.get('archive_rows')}, checksum {archived.get('checksum')} vs"
            f" {archived.get('archive_checksum')})")
    log.info("%s.%s archived and verified: %s rows, checksum %s, %s", job["source"], job["table"], row["rows"],
             row["target_checksum"], row["location"])
    return row


def outcome_row(job: dict[str, Any], archived: dict[str, Any]) -> dict[str, Any]:
    same = (archived.get("rows") == archived.get("archive_rows")
            and archived.get("checksum") is not None and archived.get("checksum") == archived.get("archive_checksum"))
    return {
        "table": job["table"], "source": job["source"], "target_table": archived.get("location"),
        "archive_id": archived.get("archive_id"), "location": archived.get("location"),
        "rows": archived.get("rows"), "source_checksum": archived.get("checksum"),
        "target_checksum": archived.get("archive_checksum"), "bytes": archived.get("bytes"),
        "seconds": archived.get("seconds"), "status": archived.get("status"),
        "storage_class": archived.get("storage_class"), "encryption": archived.get("encryption"),
        "source_dropped": archived.get("source_dropped"), "drop_refused": archived.get("drop_refused"),
        "verified": bool(same and archived.get("verified")),
    }


def finish(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write the outcome (all tables, failed ones too); fail unless every table verified."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    ctx = get_current_context()
    ti, dry_run = ctx["ti"], bool(ctx["params"].get("dry_run"))
    pushgateway.forget_dead_workers(["archive"], jobs)  # every archive worker of this run has ended
    if dry_run:
        jobs = chosen_tables()  # nothing was mapped: report the tables the run would have archived
    from tributary import pools

    rows = []
    for (source, i), job in zip(pools.map_indexes(jobs), jobs):
        verified = ti.xcom_pull(task_ids=f"{group(source)}.verify", map_indexes=i, default=None)
        if verified:
            rows.append(verified)
            continue
        archived = ti.xcom_pull(task_ids=f"{group(source)}.archive", map_indexes=i, default=None) or {}
        row = outcome_row(job, archived) if archived else {
            "table": job["table"], "source": job["source"], "rows": None, "source_checksum": None,
            "target_checksum": None}
        row["verified"] = "dry-run" if dry_run else False
        rows.append(row)
    log.info("outcome of %s:\n%s", ctx["run_id"], outcome_table.render(rows))
    outcome_table.write_report(rows, paths.reports_dir() / REPORT_NAME,
                               {"dag_id": ctx["dag"].dag_id, "run_id": ctx["run_id"]})
    if dry_run:
        raise AirflowSkipException("dry run: nothing was archived")
    if not outcome_table.all_verified(rows):
        bad = ", ".join(f"{r['source']}.{r['table']}" for r in rows if r.get("verified") is not True)
        raise AirflowFailException(f"not verified: {bad}")
    return rows


# ----------------------------------------------------------------------------------- restore


def restore_args() -> dict[str, list[str]]:
    """Worker argv of the two restore steps, from the Params form (checked here: bad input fails at once)."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    ctx = get_current_context()
    params = ctx["params"]
    entry = (params.get("catalog_entry") or "").strip()
    target = (params.get("target_connection") or "").strip()
    table = (params.get("target_table") or "").strip()
    if not entry:
        raise AirflowFailException("Param catalog_entry is required: an archive id (tributary catalog search) or"
                                   " instance.schema.table for its newest verified archive")
    allowed = restore_targets(config.load())
    if target not in allowed:
        raise AirflowFailException(f"Param target_connection {target!r} is not a restore target ({', '.join(allowed)};"
                                   " add more under targets.archive.restore_targets)")
    base = ["restore", "--config", worker.config_path_for_worker(), "--entry", entry, "--run-id", ctx["run_id"]]
    load = base + ["--target", target]
    if table:
        load += ["--target-table", table]
    return {"thaw": base + ["--thaw-only"], "load": load}


def restore_outcome(loaded: dict[str, Any]) -> dict[str, Any]:
    """Log and keep the restore's result: the catalog's figures against the restored table's."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    ctx = get_current_context()
    row = {
        "table": loaded.get("target_table"), "source": loaded.get("target"), "archive_id": loaded.get("archive_id"),
        "rows": loaded.get("rows"), "source_checksum": loaded.get("catalog_checksum"),
        "target_checksum": loaded.get("checksum"), "seconds": loaded.get("seconds"),
        "verified": bool(loaded.get("verified")),
    }
    log.info("restore of %s:\n%s", row["archive_id"], outcome_table.render([row]))
    outcome_table.write_report([row], paths.reports_dir() / RESTORE_REPORT_NAME,
                               {"dag_id": ctx["dag"].dag_id, "run_id": ctx["run_id"]})
    if row["verified"] is not True:
        raise AirflowFailException(f"restored {row['table']} does not match the catalog's checksum")
    return row
