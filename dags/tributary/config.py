"""migration.yaml: load, validate (JSON Schema + semantic checks), and answer phase questions.

Runs at DAG parse time, so it only reads two local files: no database, no network, no subprocess.
Every error names the offending key as a JSON path (``$.sources[1].id``) so a reviewer can find it.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml
from jsonschema import Draft202012Validator

from tributary import names, paths


class ConfigError(ValueError):
    """migration.yaml is invalid; ``problems`` lists ``(json_path, message)`` pairs."""

    def __init__(self, source: Path | str, problems: list[tuple[str, str]]):
        self.source = str(source)
        self.problems = problems
        lines = "\n".join(f"  {where}: {what}" for where, what in problems)
        super().__init__(f"{self.source} is invalid:\n{lines}")


@dataclass(frozen=True)
class TableJob:
    """One table of phase 2: copy ``source``.``table`` into the consolidated target as ``target_table``."""

    source: str
    table: str
    target_table: str
    key: tuple[str, ...]
    target: str = ""  # target connection id; "" = the consolidated target

    @property
    def name(self) -> str:
        """Stable, human label used in logs, map-index labels and the outcome table."""
        return f"{self.source}.{self.table}"

    def as_dict(self) -> dict[str, Any]:
        # XCom and mapped-task arguments must be JSON: plain dict, lists not tuples.
        return {"source": self.source, "table": self.table, "target_table": self.target_table, "key": list(self.key),
                "target": self.target}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TableJob":
        return cls(d["source"], d["table"], d["target_table"], tuple(d.get("key") or ()), d.get("target") or "")


@dataclass(frozen=True)
class MigrationConfig:
    path: Path
    raw: dict[str, Any]

    @property
    def source_ids(self) -> list[str]:
        return [s["id"] for s in self.raw["sources"]]

    @property
    def consolidated_connection(self) -> str:
        return self.raw["targets"]["consolidated"]["connection"]

    @property
    def control_connection(self) -> str:
        return self.raw["control"]["connection"]

    @property
    def default_parallelism(self) -> int:
        return int(self.raw.get("defaults", {}).get("parallelism", 1))

    def consolidate_tables(self) -> list[TableJob]:
        """Phase-2 tables. The target name defaults to the source's ``target_schema`` (if set) + table name."""
        target_schema = {s["id"]: s.get("target_schema") for s in self.raw["sources"]}
        jobs = []
        for entry in self.raw.get("consolidate", {}).get("tables", []):
            schema, name = names.split_table(entry["table"])
            default_target = names.qualified(target_schema[entry["source"]] or schema, name)
            jobs.append(
                TableJob(
                    source=entry["source"],
                    table=names.qualified(schema, name),  # as written back: filters and XCom see one form
                    target_table=entry.get("target_table", default_target),
                    key=tuple(entry.get("key", ())),
                    target=self.consolidated_connection,
                )
            )
        return jobs + self.split_tables()

    def split_tables(self) -> list[TableJob]:
        """consolidate.split: one instance's tables, each copied into the target database that owns it."""
        jobs = []
        for split in self.raw.get("consolidate", {}).get("split", []):
            for target, tables in split["targets"].items():
                jobs += [TableJob(split["source"], t, t, (), target) for t in tables]
        return jobs

    def plan_tables(self, plan: dict[str, Any]) -> list[TableJob]:
        """The plan's application tables (destination consolidated, not skipped), in plan order."""
        jobs = []
        for t in plan.get("tables", []):
            dest = t.get("destination") or {}
            if t.get("class") != "application" or dest.get("kind") != "consolidated" or t.get("skip"):
                continue
            if t.get("kind", "table") not in ("table", "partitioned"):
                continue
            jobs.append(TableJob(t["instance"], names.qualified(t["schema"], t["table"]), dest["table"], tuple(t.get("key") or ()),
                                 dest.get("connection") or self.consolidated_connection))
        return jobs

    @property
    def min_confidence(self) -> float:
        return float(self.raw.get("classification", {}).get("min_confidence", 0.7))

    @property
    def warehouse(self) -> dict[str, Any]:
        """``targets.warehouse`` (connection, dialect, schema, staging, tables); empty when not configured."""
        return self.raw.get("targets", {}).get("warehouse") or {}

    @property
    def warehouse_schedule(self) -> dict[str, Any]:
        """The top-level ``warehouse`` section: exchange, timezone, low-trading window, partition."""
        return self.raw.get("warehouse") or {}

    def warehouse_tables(self) -> list[dict[str, Any]]:
        """``targets.warehouse.tables`` as warehouse jobs (target defaults to the warehouse schema + table name)."""
        wh = self.warehouse
        jobs = []
        for entry in wh.get("tables", []):
            schema, name = names.split_table(entry["table"])
            jobs.append({
                "source": entry["source"],
                "table": names.qualified(schema, name),
                "target_table": entry.get("target_table") or names.qualified(wh.get("schema") or schema, name),
                "key": list(entry.get("key", [])),
                "partition_column": entry.get("partition_column"),
                "watermark_column": entry.get("watermark_column"),  # mode=incremental upserts past it
            })
        return jobs

    def connections_for_warehouse(self) -> list[str]:
        """Every connection a phase-3 worker may need: all sources (the plan picks), warehouse, staging, control."""
        wh = self.warehouse
        ids = list(self.source_ids) + [self.control_connection]
        ids += [c for c in (wh.get("connection"), wh.get("staging_connection")) if c]
        return sorted(set(ids))

    def connections_for_consolidate(self) -> list[str]:
        """Every connection a phase-2 worker may need (sources in use, the target, the control schema)."""
        ids = list(self.source_ids)  # the plan may pick any declared source
        ids += [j.target for j in self.split_tables()]
        ids += [self.consolidated_connection, self.control_connection]
        return sorted(set(ids))


def _json_path(parts: Iterable[Any]) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _schema_problems(data: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    validator = Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        # "Additional properties are not allowed ('x' was unexpected)": point at the bad key itself.
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(k for k in err.instance if k not in allowed):
                problems.append((_json_path(path + [extra]), "unknown key"))
            continue
        problems.append((_json_path(path), err.message))
    return problems


def _semantic_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """What JSON Schema cannot say: references between sections must resolve, ids must be unique."""
    problems: list[tuple[str, str]] = []
    sources = data.get("sources", [])
    seen: dict[str, int] = {}
    for i, src in enumerate(sources):
        sid = src.get("id")
        if sid in seen:
            problems.append((f"$.sources[{i}].id", f"duplicate source id {sid!r} (first at $.sources[{seen[sid]}])"))
        else:
            seen[sid] = i
    declared = set(seen)
    # Two sources naming different applications must not be sent into one schema: that would merge them by name.
    first_with_schema: dict[str, int] = {}
    for i, src in enumerate(sources):
        if not isinstance(src.get("target_schema"), str) or not isinstance(src.get("application"), str):
            continue
        first = first_with_schema.setdefault(src["target_schema"], i)
        if sources[first]["application"] != src["application"]:
            problems.append((f"$.sources[{i}].target_schema",
                             f"{src['target_schema']!r} is also the target_schema of {sources[first].get('id')} "
                             f"($.sources[{first}]), another application ({sources[first]['application']!r} vs "
                             f"{src['application']!r}): applications are kept apart, give each its own schema"))

    control = data.get("control", {}).get("connection")
    consolidated = data.get("targets", {}).get("consolidated", {}).get("connection")
    if control in declared:
        problems.append(("$.control.connection", f"{control!r} is a source; the control schema lives on a target"))
    if consolidated in declared:
        problems.append(("$.targets.consolidated.connection", f"{consolidated!r} is also declared as a source"))
    warehouse_conn = (data.get("targets", {}).get("warehouse") or {}).get("connection")
    if warehouse_conn in declared:
        problems.append(("$.targets.warehouse.connection", f"{warehouse_conn!r} is a source; loads write to the warehouse"))
    problems += _archive_problems(data.get("targets", {}).get("archive"))
    problems += _reconcile_problems(data.get("reconcile"))

    # Many-to-one is allowed (several sources into one target table: `tributary resolve` remaps keys);
    # one source table listed twice is not.
    listed: dict[tuple[str, str], str] = {}
    for i, entry in enumerate(data.get("consolidate", {}).get("tables", [])):
        if entry.get("source") not in declared:
            problems.append(
                (f"$.consolidate.tables[{i}].source", f"{entry.get('source')!r} is not a declared source id ({sorted(declared)})")
            )
            continue
        key = (entry["source"], entry.get("table", ""))
        if key in listed:
            problems.append((f"$.consolidate.tables[{i}]", f"{key[0]} {key[1]} is listed twice (first at {listed[key]})"))
        else:
            listed[key] = f"$.consolidate.tables[{i}]"
    problems += _split_problems(data, declared, listed)

    problems += _name_problems(data)
    warehouse = data.get("targets", {}).get("warehouse") or {}
    for i, entry in enumerate(warehouse.get("tables", [])):
        if entry.get("source") not in declared:
            problems.append((f"$.targets.warehouse.tables[{i}].source",
                             f"{entry.get('source')!r} is not a declared source id ({sorted(declared)})"))

    for i, rule in enumerate(data.get("tables", [])):
        ref = rule.get("source_wins")
        if ref is not None and ref not in declared:
            problems.append((f"$.tables[{i}].source_wins", f"{ref!r} is not a declared source connection"))
        strategy = rule.get("conflict_strategy")
        if strategy == "last-write-wins" and "last_write_column" not in rule:
            problems.append((f"$.tables[{i}].last_write_column", "required when conflict_strategy is last-write-wins"))
        if strategy == "manual" and "source_wins" in rule:
            problems.append((f"$.tables[{i}].source_wins",
                             "only applies with conflict_strategy source-wins or last-write-wins (as the tie-break), not manual"))
        if strategy is not None and strategy != "last-write-wins" and "last_write_column" in rule:
            problems.append((f"$.tables[{i}].last_write_column", f"only applies with conflict_strategy last-write-wins, not {strategy}"))
        if rule.get("key_remapping") == "none" and "references" in rule:
            problems.append((f"$.tables[{i}].references",
                             "references are rewritten through key offsets, which key_remapping: none turns off"))
        for column, ref in rule.get("references", {}).items():
            try:
                instance = names.parse(ref, 3)[0]
            except ValueError as exc:
                problems.append((f"$.tables[{i}].references.{column}", str(exc)))
                continue
            if instance not in declared:
                problems.append((f"$.tables[{i}].references.{column}", f"instance {instance!r} is not a declared source id ({sorted(declared)})"))
    return problems


def _reconcile_problems(reconcile: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The reconcile DAG's schedule must be a cron expression Airflow accepts (the schema only checks its shape)."""
    schedule = (reconcile or {}).get("schedule")
    if not isinstance(schedule, str) or schedule.startswith("@"):
        return []
    from croniter import croniter  # Airflow's own cron parser's dependency

    if not croniter.is_valid(schedule):
        return [("$.reconcile.schedule", f"{schedule!r} is not a valid cron expression (5 fields, e.g. '*/15 * * * *')")]
    return []


def _archive_problems(archive: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An archive must outlive the hold before its source may be dropped, and expire by its own retention.
    The worker's ConfigRules says the same (defaults: ArchiveSettings)."""
    if not isinstance(archive, dict):
        return []
    problems = []
    retention, hold = archive.get("retention_days", 2555), archive.get("drop_source_hold_days", 30)
    if isinstance(retention, int) and isinstance(hold, int) and retention <= hold:
        problems.append(("$.targets.archive.retention_days", f"{retention} days would expire the archive before the"
                         f" source may be dropped (drop_source_hold_days: {hold}): keep archives longer than the hold"))
    if archive.get("lifecycle", True) and archive.get("object_tags", True) is False:
        problems.append(("$.targets.archive.lifecycle", "the lifecycle rule expires each archive by its retention-days"
                         " tag: it needs object_tags: true (or lifecycle: false)"))
    return problems


def _name_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every schema.table of the config read by the worker's rules (names.py), so a name the worker would refuse
    is refused here, at parse time, with its path."""
    places: list[tuple[str, Any]] = []
    for i, entry in enumerate(data.get("consolidate", {}).get("tables", [])):
        places += [(f"$.consolidate.tables[{i}].{k}", entry.get(k)) for k in ("table", "target_table")]
    for i, split in enumerate(data.get("consolidate", {}).get("split", [])):
        for target, tables in split.get("targets", {}).items():
            places += [(f"$.consolidate.split[{i}].targets.{target}[{j}]", t) for j, t in enumerate(tables)]
    warehouse = data.get("targets", {}).get("warehouse") or {}
    for i, entry in enumerate(warehouse.get("tables", [])):
        places += [(f"$.targets.warehouse.tables[{i}].{k}", entry.get(k)) for k in ("table", "target_table")]
    problems = []
    for where, text in places:
        if isinstance(text, str):
            try:
                names.parse(text, 2, "table")
            except ValueError as exc:
                problems.append((where, str(exc)))
    return problems


def _split_problems(data: dict[str, Any], declared: set[str], listed: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    """consolidate.split: every table owned by exactly one target database, targets that are not sources."""
    problems: list[tuple[str, str]] = []
    split_sources: dict[str, str] = {}
    for i, split in enumerate(data.get("consolidate", {}).get("split", [])):
        path = f"$.consolidate.split[{i}]"
        source = split.get("source")
        if source not in declared:
            problems.append((f"{path}.source", f"{source!r} is not a declared source id ({sorted(declared)})"))
        if source in split_sources:
            problems.append((f"{path}.source", f"source {source!r} is split twice (first at {split_sources[source]}); list all its targets in one entry"))
        split_sources.setdefault(source, path)
        for target, tables in split.get("targets", {}).items():
            tpath = f"{path}.targets.{target}"
            if target in declared:
                problems.append((tpath, f"{target!r} is a source; a split target must be another database"))
            for j, table in enumerate(tables):
                key = (source, table)
                if key in listed:
                    problems.append((f"{tpath}[{j}]", f"{source} {table} already has an owner at {listed[key]}; a table goes to exactly one target"))
                else:
                    listed[key] = f"{tpath}[{j}]"
    return problems


@lru_cache(maxsize=4)
def _schema(schema_file: str) -> dict[str, Any]:
    return json.loads(Path(schema_file).read_text())


def validate(data: Any, source: Path | str = "<config>", schema_file: Path | None = None) -> None:
    """Raise ConfigError listing every problem (schema first; semantics only once the shape is right)."""
    problems = _schema_problems(data, _schema(str(schema_file or paths.schema_path())))
    if not problems:
        problems = _semantic_problems(data)
    if problems:
        raise ConfigError(source, problems)


def load(path: Path | str | None = None) -> MigrationConfig:
    """Read and validate migration.yaml (``TRIBUTARY_CONFIG`` or config/migration.yaml)."""
    path = Path(path) if path else paths.config_path()
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "$"
        raise ConfigError(path, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    validate(data, path)
    return MigrationConfig(path=path, raw=data)


def matches(qualified: str, table_filter: str | None) -> bool:
    """Does ``instance.schema.table`` match the Params glob, given as schema.table or instance.schema.table?"""
    pattern = (table_filter or "").strip()
    if pattern in ("", "*"):
        return True
    return fnmatch.fnmatchcase(qualified, pattern) or fnmatch.fnmatchcase(qualified.split(".", 1)[-1], pattern)


def select(jobs: Iterable[TableJob], table_filter: str | None) -> list[TableJob]:
    """Jobs whose ``schema.table`` (or ``source.schema.table``) matches the glob; all when no filter."""
    return [j for j in jobs if matches(j.name, table_filter)]
