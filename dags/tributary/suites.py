"""GX suites generated from the discovery profile, and the layers the gate merges.

Three layers per target table, later ones win (same expectation type on the same column/query):

1. the class template, committed: ``expectations/gx/expectations/<class>_table.json`` (row count from XCom);
2. **generated** from the plan + inventories by the discover DAG's ``expectations`` task:
   ``expectations/generated/<destination>.<schema>.<table>.json`` — git-ignored, rewritten every run;
3. **overlays**, hand-written and never touched by code: ``expectations/overlays/<same name>.json``.
   An overlay entry with ``"meta": {"disabled": true}`` removes the generated one it matches.

What is generated, per target table (several source instances may feed one consolidated table):

- not null: columns NOT NULL on every source;  unique: the key, and unique constraints of a one-source table;
- value sets: enum columns take only the enum's labels;
- value ranges: the time column holds nothing older than the exact (index-read) minimum discovery saw;
- broker time series: recency (the newest row is at least as new as at discovery) and monotonicity
  (time does not go backwards in key order) — severity ``warning``: partitions load over several runs;
- FK coverage: every non-null foreign key finds its parent in the target — ``warning``, because a child
  table may be gated before its parent has landed.

Severity ``critical`` fails the gate; ``warning`` is reported only (see ``gate.py``).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from tributary import names, paths

log = logging.getLogger(__name__)

CRITICAL, WARNING = "critical", "warning"
TEMPLATE_BY_CLASS = {"application": "application_table", "broker": "broker_table"}


def generated_dir() -> Path:
    """Rewritten on every discover run; tests point it elsewhere with TRIBUTARY_GX_GENERATED."""
    value = os.environ.get("TRIBUTARY_GX_GENERATED")
    return Path(value) if value else paths.expectations_dir() / "generated"


def overlays_dir() -> Path:
    return paths.expectations_dir() / "overlays"


def store_key(text: str) -> str:
    """``text`` as GX's file stores and a file name take it: they refuse ``/`` and ``\\`` in a key, so those (and
    ``%``, to stay unambiguous) are written ``%2F``, ``%5C``, ``%25``; everything else is kept."""
    return text.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C")


def suite_name(destination: str, table: str) -> str:
    """``<destination>.<schema.table>``, also the layer files' name (``store_key``): the overlay of the table
    ``app."a/b"`` is ``overlays/consolidated.app."a%2Fb".json``."""
    return store_key(f"{destination}.{table}")


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def quote_table(qualified: str) -> str:
    schema, name = names.split_table(qualified)
    return f"{quote(schema)}.{quote(name)}"


def _exp(type_: str, severity: str = CRITICAL, why: str = "", **kwargs: Any) -> dict[str, Any]:
    return {"type": type_, "kwargs": kwargs, "severity": severity, "meta": {"generated_from": why}}


def _inventory_index(inventories: Iterable[dict[str, Any]]) -> tuple[dict, dict]:
    tables, enums = {}, {}
    for inv in inventories:
        for e in inv.get("enums") or []:
            enums[(inv["instance"], f"{e['schema']}.{e['name']}")] = list(e["labels"])
        for t in inv.get("tables") or []:
            tables[(inv["instance"], t["schema"], t["name"])] = t
    return tables, enums


def _enum_labels(enums: dict, instance: str, type_: str) -> list[str] | None:
    labels = enums.get((instance, type_))
    if labels is None and "." not in type_:
        labels = enums.get((instance, f"public.{type_}"))
    return labels


def build(plan: dict[str, Any], inventories: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Suite name -> GX suite JSON, for every table that lands in a database (consolidated or warehouse)."""
    tables, enums = _inventory_index(inventories)
    groups: dict[str, list[dict[str, Any]]] = {}
    target_of: dict[tuple[str, str, str], str] = {}
    for entry in plan.get("tables", []):
        dest = entry.get("destination") or {}
        if entry.get("skip") or dest.get("kind") not in ("consolidated", "warehouse"):
            continue
        groups.setdefault(suite_name(dest["kind"], dest["table"]), []).append(entry)
        target_of[(dest["kind"], entry["instance"], entry["schema"], entry["table"])] = dest["table"]

    suites = {}
    for name, entries in sorted(groups.items()):
        sources = [(e, tables.get((e["instance"], e["schema"], e["table"]))) for e in entries]
        sources = [(e, t) for e, t in sources if t is not None]
        if not sources:
            continue
        kind = entries[0]["destination"]["kind"]
        parents = {k[1:]: v for k, v in target_of.items() if k[0] == kind}  # FK coverage within one database
        suites[name] = _suite(name, sources, enums, parents)
    return suites


def _suite(name: str, sources: list[tuple[dict, dict]], enums: dict, target_of: dict) -> dict[str, Any]:
    first_entry, first = sources[0]
    klass = first_entry["class"]
    where = ", ".join(f"{e['instance']}.{e['schema']}.{e['table']}" for e, _ in sources)
    exps: list[dict[str, Any]] = []

    # not null on every source -> not null on the target
    not_null = None
    for _, t in sources:
        cols = {c["name"] for c in t.get("columns", []) if c.get("nullable") is False}
        not_null = cols if not_null is None else not_null & cols
    for c in first.get("columns", []):
        if c["name"] in (not_null or set()):
            exps.append(_exp("expect_column_values_to_not_be_null", why=f"NOT NULL on {where}", column=c["name"]))

    key = list(first_entry.get("key") or [])
    uniques = [key] if key else []
    if len(sources) == 1:  # several sources may legitimately share a natural key until resolved
        uniques += [list(u) for u in first.get("unique_keys") or [] if list(u) != key]
    for cols in uniques:
        if len(cols) == 1:
            exps.append(_exp("expect_column_values_to_be_unique", why="key / unique constraint", column=cols[0]))
        else:
            exps.append(_exp("expect_compound_columns_to_be_unique", why="key / unique constraint",
                             column_list=cols))

    # value sets: enum labels (union over the sources feeding this table)
    for c in first.get("columns", []):
        labels: list[str] = []
        for e, _ in sources:
            labels += [lab for lab in (_enum_labels(enums, e["instance"], c["type"]) or []) if lab not in labels]
        if labels:
            exps.append(_exp("expect_column_values_to_be_in_set", why=f"enum {c['type']}", column=c["name"],
                             value_set=labels))

    # value ranges and time series: only from exact (index-read) profile figures
    spans = [(t.get("profile") or {}).get("time_span") for _, t in sources]
    spans = [s for s in spans if s and s.get("column") and s.get("source") == "index" and s.get("min")]
    if spans and len({s["column"] for s in spans}) == 1:
        col = spans[0]["column"]
        # min/max are the finite extremes; a column that also holds '-infinity' has no lower bound to check,
        # and one holding 'infinity' has a max that says nothing about recency.
        infinities = {i for s in spans for i in s.get("infinities") or ()}
        if "-infinity" not in infinities:
            lowest = min(s["min"] for s in spans)
            exps.append(_exp("expect_column_values_to_be_between", why=f"time_span.min of {where} (index)",
                             column=col, min_value=lowest))
        maxima = [s["max"] for s in spans if s.get("max")]
        if klass == "broker" and maxima and "infinity" not in infinities:
            exps.append(_exp("expect_column_max_to_be_between", WARNING, f"recency: time_span.max of {where}",
                             column=col, min_value=max(maxima)))
        if klass == "broker" and len(key) == 1 and key[0] != col:
            q, k = quote(col), quote(key[0])
            exps.append(_exp(
                "unexpected_rows_expectation", WARNING, f"monotonic {col} in {key[0]} order",
                unexpected_rows_query=(f"SELECT * FROM (SELECT {k}, {q}, lag({q}) OVER (ORDER BY {k}) AS previous"
                                       f" FROM {{batch}}) m WHERE {q} < previous"),
                description=f"{col} never goes backwards in {key[0]} order"))

    # FK coverage inside the target database
    seen_fk = set()
    for e, t in sources:
        for fk in t.get("foreign_keys") or []:
            parent = target_of.get((e["instance"], fk["ref_schema"], fk["ref_table"]))
            if parent is None or (parent, tuple(fk["columns"])) in seen_fk:
                continue
            seen_fk.add((parent, tuple(fk["columns"])))
            present = " AND ".join(f"b.{quote(c)} IS NOT NULL" for c in fk["columns"])
            match = " AND ".join(f"p.{quote(r)} = b.{quote(c)}" for c, r in zip(fk["columns"], fk["ref_columns"]))
            exps.append(_exp(
                "unexpected_rows_expectation", WARNING, f"FK {fk['name']} on {e['instance']}",
                unexpected_rows_query=(f"SELECT b.* FROM {{batch}} b WHERE {present} AND NOT EXISTS"
                                       f" (SELECT 1 FROM {quote_table(parent)} p WHERE {match})"),
                description=f"every {','.join(fk['columns'])} has a parent in {parent}"))

    return {
        "name": name,
        "expectations": exps,
        "meta": {
            "class": klass,
            "template": TEMPLATE_BY_CLASS.get(klass, "application_table"),
            "sources": where,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "notes": f"GENERATED from the discovery profile; rewritten every discover run. "
                     f"Edit expectations/overlays/{name}.json instead.",
        },
    }


def write(suites: dict[str, dict[str, Any]], directory: Path | None = None) -> list[Path]:
    """Replace the generated layer with these suites (stale ones removed); overlays are never touched."""
    directory = directory or generated_dir()
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        if old.stem not in suites:
            old.unlink()
    written = []
    for name, suite in suites.items():
        path = directory / f"{name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(suite, indent=1, default=str) + "\n")
        tmp.replace(path)
        written.append(path)
    return written


def identity(exp: dict[str, Any]) -> tuple:
    """What makes two layers' expectations 'the same one': type and the column(s) or query it is about."""
    kw = exp.get("kwargs") or {}
    about = kw.get("column") or tuple(kw.get("column_list") or ()) or kw.get("unexpected_rows_query") or ""
    return exp["type"], about


def _read_layer(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    doc = json.loads(path.read_text())
    return list(doc.get("expectations") or [])


def layered(name: str, base: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """base (template + keys) <- generated <- overlay, by identity; returns the expectations and the layer files used."""
    merged: dict[tuple, dict[str, Any]] = {}
    for exp in base:
        merged[identity(exp)] = exp
    used = []
    for layer in (generated_dir() / f"{name}.json", overlays_dir() / f"{name}.json"):
        exps = _read_layer(layer)
        if layer.is_file():
            used.append(str(layer))
        for exp in exps:
            if (exp.get("meta") or {}).get("disabled"):
                merged.pop(identity(exp), None)
            else:
                merged[identity(exp)] = exp
    return list(merged.values()), used


def generate(plan_path: Path, inventory_paths: Iterable[Path], directory: Path | None = None) -> dict[str, Any]:
    plan = json.loads(Path(plan_path).read_text())
    inventories = [json.loads(Path(p).read_text()) for p in inventory_paths]
    suites = build(plan, inventories)
    written = write(suites, directory)
    counts = {name: len(s["expectations"]) for name, s in suites.items()}
    log.info("generated %d suites (%d expectations) into %s", len(suites), sum(counts.values()),
             directory or generated_dir())
    return {"directory": str(directory or generated_dir()), "suites": len(written),
            "expectations": sum(counts.values())}
