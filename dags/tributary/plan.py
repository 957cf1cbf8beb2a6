"""The migration plan (phase 1's product, the Asset ``tributary://plan``): per table, its class and why,
where it goes, its conflicts and their resolution, its size and an estimated copy time.

Inputs are the discovery inventories (docs/inventory-format.md), the classifier's decisions and the
conflicts found across instances, with the worker's grouping of instances into applications
(docs/conflicts-format.md). Output: ``plan.json`` for phases 2-5 and ``plan.md`` for people.

Where application tables land (``placement``): instances of one application merge into the same tables.
Applications are placed in the config's source order; each keeps its source schema names unless one of the
names it would create in the consolidated database (tables, views, sequences, types of its schemas) is already
held by an application placed before it: then it gets a schema of its own, named after the application
(``<application>``, or ``<application>_<schema>`` when it spans several schemas). Renaming only on a
collision keeps an application's SQL and its schema as pg_dump describes it wherever that is possible; the
first application never moves. A source's ``target_schema`` in migration.yaml overrides the choice.
"""

from __future__ import annotations

import fnmatch
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from tributary import names
from tributary.config import MigrationConfig

FORMAT = 1
# Binary COPY moves ~150 MB/s of heap on this class of machine (FIELD-NOTES); verification reads
# both sides once more. A planning estimate, not a promise: the benchmark measures the real thing.
COPY_BYTES_PER_SECOND = 150e6
VERIFY_FACTOR = 1.6

DESTINATION_BY_CLASS = {"application": "consolidated", "broker": "warehouse", "unknown": "archive"}


def overrides_from(cfg: MigrationConfig) -> dict[str, str]:
    """Class overrides from both places migration.yaml allows: classification.overrides and tables[].class."""
    merged = dict(cfg.raw.get("classification", {}).get("overrides", {}))
    for rule in cfg.raw.get("tables", []):
        if "class" in rule:
            merged[rule["match"]] = rule["class"]
    return merged


def table_rules(cfg: MigrationConfig, qualified: str) -> dict[str, Any]:
    """Per-table overrides (tables[] entries whose glob matches instance.schema.table), later entries win."""
    merged: dict[str, Any] = {}
    for rule in cfg.raw.get("tables", []):
        if fnmatch.fnmatchcase(qualified, rule["match"]):
            merged.update({k: v for k, v in rule.items() if k != "match"})
    return merged


def _destination(cfg: MigrationConfig, instance: str, schema: str, table: str, klass: str,
                 app: dict[str, Any] | None = None) -> dict[str, Any]:
    targets = cfg.raw["targets"]
    kind = DESTINATION_BY_CLASS[klass]
    if kind == "consolidated":
        source = next(s for s in cfg.raw["sources"] if s["id"] == instance)
        placed = (app or {}).get("schemas", {}).get(schema, schema)
        return {"kind": kind, "connection": targets["consolidated"]["connection"],
                "table": names.qualified(source.get("target_schema") or placed, table)}
    if kind == "warehouse":
        wh = targets.get("warehouse")
        if not wh:
            return {"kind": "review", "reason": "broker table but no warehouse target in migration.yaml"}
        return {"kind": kind, "connection": wh["connection"], "dialect": wh["dialect"],
                "table": names.qualified(wh.get("schema", schema), table)}
    archive = targets.get("archive")
    if not archive:
        return {"kind": "review", "reason": "unknown/unused table but no archive target in migration.yaml"}
    prefix = archive.get("prefix", "").strip("/")
    location = "/".join(p for p in (prefix, *map(names.key_segment, (instance, schema, table))) if p)  # as the worker
    return {"kind": kind, "connection": archive["connection"], "location": f"s3://{archive['bucket']}/{location}/"}


def _names_in_consolidated(inventories: list[dict[str, Any]], app_tables: list[tuple[str, str, str]]
                            ) -> set[tuple[str, str]]:
    """(schema, name) an application creates in the consolidated database: its application tables, and the views,
    sequences and types of the schemas they live in (the schema builder brings those along)."""
    names = {(schema, table) for _, schema, table in app_tables}
    schemas = {schema for _, schema, _ in app_tables}
    instances = {instance for instance, _, _ in app_tables}
    for inv in inventories:
        if inv["instance"] not in instances:
            continue
        for section in ("views", "sequences", "enums", "domains"):
            names |= {(o["schema"], o["name"]) for o in inv.get(section) or [] if o.get("schema") in schemas}
    return names


def place_applications(cfg: MigrationConfig, inventories: list[dict[str, Any]], decided: dict[tuple, dict],
                       grouping: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per application (config order): name, instances, why they are one, and where its schemas land.

    ``grouping`` is what the worker's ``conflicts`` wrote (``applications``, ``similarities``); without it
    (an older conflicts.json) every instance counts as one application, as before applications were told apart.
    """
    present = [inv["instance"] for inv in inventories]
    order = {s["id"]: i for i, s in enumerate(cfg.raw["sources"])}
    groups = (grouping or {}).get("applications") or [
        {"name": present[0] if present else "?", "instances": present, "named_in_config": False}]
    similarities = (grouping or {}).get("similarities") or []
    target_schema = {s["id"]: s.get("target_schema") for s in cfg.raw["sources"]}

    def similarity(a: str, b: str) -> dict[str, Any] | None:
        return next((s for s in similarities if set(s["instances"]) == {a, b}), None)

    def figure(a: str, b: str) -> str:
        s = similarity(a, b)
        return (f"{a} ~ {b}: Jaccard {s['jaccard']:.2f} ({s['shared_columns']} of {s['union_columns']} "
                f"(schema, table, column) in common)") if s else f"{a} ~ {b}: no figure"

    threshold = (grouping or {}).get("application_threshold")
    held: dict[tuple[str, str], str] = {}  # (schema, name) in the consolidated database -> application
    placed = []
    for group in sorted(groups, key=lambda g: min(order.get(i, len(order)) for i in g["instances"])):
        members = [i for i in group["instances"] if i in present]
        if not members:
            continue
        name = group["name"]
        why = []
        if group.get("named_in_config"):
            why.append(f"named '{name}' by `application` in migration.yaml")
        elif len(members) > 1:
            why.append("schemas alike: " + "; ".join(figure(members[0], m) for m in members[1:])
                       + (f" (same application at >= {threshold})" if threshold is not None else ""))
        others = [m for g in placed for m in g["instances"]]
        if others and similarities:
            best = max(((similarity(m, o) or {}).get("jaccard", 0), m, o) for m in members for o in others)
            why.append(f"apart from {', '.join(sorted(set(others)))}: closest pair {figure(best[1], best[2])}")
        app_tables = [k for k, d in decided.items() if k[0] in members and d["class"] == "application"]
        schemas = sorted({schema for _, schema, _ in app_tables})
        taken = _names_in_consolidated(inventories, app_tables)
        clashes = sorted(f"{names.qualified(s, n)} ({held[(s, n)]})" for s, n in taken if (s, n) in held)
        schema_map = {s: s for s in schemas}
        if clashes:
            schema_map = {s: name if len(schemas) == 1 else f"{name}_{s}" for s in schemas}
            why.append(f"a schema of its own: {', '.join(clashes[:5])}{', …' if len(clashes) > 5 else ''} "
                       "already belong to an application placed before it")
        elif schemas:
            why.append("keeps its schema names: none is held by an application placed before it")
        overridden = {i: target_schema[i] for i in members if target_schema.get(i)}
        if overridden:
            why.append("target_schema in migration.yaml: " + ", ".join(f"{i} -> {t}" for i, t in overridden.items()))
        for member in members:
            for s, n in _names_in_consolidated(inventories, [k for k in app_tables if k[0] == member]):
                held.setdefault((overridden.get(member) or schema_map.get(s, s), n), name)
        placed.append({"name": name, "instances": members, "schemas": schema_map,
                       "target_schema_overrides": overridden, "why": why})
    return placed


def settle_line(instance: str, schema: str, table: str, klass: str) -> str:
    """The one line of migration.yaml's ``tables:`` list that settles a table's class, e.g.
    ``- {match: "src_eu.public.rates", class: broker}``. The match is the table's qualified name (odd names
    quoted as names.qualified writes them) with the glob characters ``*?[`` made literal, so it matches that
    table only; the value is JSON-quoted, which YAML reads as the same string."""
    literal = "".join(f"[{c}]" if c in "*?[" else c for c in names.qualified(instance, schema, table))
    return f"- {{match: {json.dumps(literal, ensure_ascii=False)}, class: {klass}}}"


def review_first(tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tables a person must settle, least sure first."""
    return sorted((t for t in tables if t["flagged_for_review"]),
                  key=lambda t: (t["confidence"], t["instance"], t["schema"], t["table"]))


def estimated_copy_seconds(total_bytes: int | None) -> float | None:
    if total_bytes is None:
        return None
    return round(total_bytes / COPY_BYTES_PER_SECOND * VERIFY_FACTOR, 1)


def build_plan(cfg: MigrationConfig, inventories: list[dict[str, Any]], decisions: list[dict[str, Any]],
               conflicts: list[dict[str, Any]], *, run_id: str | None = None,
               grouping: dict[str, Any] | None = None) -> dict[str, Any]:
    """``grouping``: the conflicts document (its ``applications`` and ``similarities``), see place_applications."""
    decided = {(d["instance"], d["schema"], d["table"]): d for d in decisions}
    listed = {(inv["instance"], t["schema"], t["name"]) for inv in inventories for t in inv["tables"]}
    applications = place_applications(cfg, inventories, {k: d for k, d in decided.items() if k in listed}, grouping)
    app_of = {i: a for a in applications for i in a["instances"]}
    conflicts_by_table: dict[str, list[int]] = {}
    for i, c in enumerate(conflicts):
        conflicts_by_table.setdefault(c["table"], []).append(i)

    tables = []
    for inv in inventories:
        for t in inv["tables"]:
            key = (inv["instance"], t["schema"], t["name"])
            decision = decided[key]
            qualified = names.qualified(t["schema"], t["name"])
            rules = table_rules(cfg, names.qualified(*key))
            size = t.get("size", {})
            rows = size.get("rows_exact") if size.get("rows_exact") is not None else size.get("rows_estimate")
            tables.append({
                "instance": inv["instance"],
                "schema": t["schema"],
                "table": t["name"],
                "kind": t.get("kind", "table"),
                "class": decision["class"],
                "confidence": decision["confidence"],
                "reasons": decision["reasons"],
                "decided_by": decision["source"],
                "flagged_for_review": decision["flagged_for_review"],
                # the model's own best guess (also when the threshold or an override changed the class)
                "model_class": decision.get("model_class", decision["class"]),
                "settle": (settle_line(inv["instance"], t["schema"], t["name"], decision.get("model_class") or "unknown")
                           if decision["flagged_for_review"] else None),
                "application": app_of.get(inv["instance"], {}).get("name"),
                # a flagged table goes nowhere until a person settles it: no phase picks a "review" destination
                "destination": ({"kind": "review", "reason": "flagged for review: the classifier is not sure; settle "
                                 "it with the line in plan.md's review section"}
                                if decision["flagged_for_review"] else
                                _destination(cfg, inv["instance"], t["schema"], t["name"], decision["class"],
                                             app_of.get(inv["instance"]))),
                "key": rules.get("key") or t.get("primary_key") or [],
                "rows": rows,
                "bytes": size.get("total_bytes"),
                "estimated_copy_seconds": estimated_copy_seconds(size.get("total_bytes")),
                "conflicts": conflicts_by_table.get(qualified, []),
                "skip": bool(rules.get("skip", False)),
            })
    tables.sort(key=lambda r: (r["class"], r["instance"], r["schema"], r["table"]))
    return {
        "format": FORMAT,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run_id": run_id,
        "config": str(cfg.path),
        "instances": [{"id": inv["instance"], "database": inv.get("database"), "tables": len(inv["tables"]),
                       "server_version": inv.get("server_version")} for inv in inventories],
        "applications": applications,
        "application_rule": (grouping or {}).get("application_rule"),
        "similarities": (grouping or {}).get("similarities") or [],
        "tables": tables,
        "conflicts": conflicts,
        "summary": summarize(tables, conflicts),
    }


def summarize(tables: list[dict[str, Any]], conflicts: list[dict[str, Any]]) -> dict[str, Any]:
    by_class: dict[str, int] = {}
    bytes_by_destination: dict[str, int] = {}
    for t in tables:
        by_class[t["class"]] = by_class.get(t["class"], 0) + 1
        kind = t["destination"]["kind"]
        bytes_by_destination[kind] = bytes_by_destination.get(kind, 0) + (t["bytes"] or 0)
    return {
        "tables": len(tables),
        "applications": len({t["application"] for t in tables if t.get("application")}),
        "by_class": by_class,
        "flagged_for_review": sum(t["flagged_for_review"] for t in tables),
        "conflicts": len(conflicts),
        "bytes_by_destination": bytes_by_destination,
        "estimated_copy_seconds": round(sum(t["estimated_copy_seconds"] or 0 for t in tables), 1),
    }


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _where(dest: dict[str, Any]) -> str:
    if dest["kind"] == "archive":
        return f"archive → {dest['location']}"
    if dest["kind"] == "review":
        return f"review: {dest['reason']}"
    return f"{dest['kind']} → {dest['connection']}:{dest['table']}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: dict[str, Any]) -> str:
    s = plan["summary"]
    lines = [
        "# Tributary migration plan",
        "",
        f"Generated {plan['generated_at']}" + (f" by run `{plan['run_id']}`" if plan.get("run_id") else "")
        + f" from `{plan['config']}`.",
        "",
        f"**{s['tables']} tables** in {len(plan['instances'])} instances: "
        + ", ".join(f"{n} {k}" for k, n in sorted(s["by_class"].items()))
        + f"; {s['flagged_for_review']} flagged for review; {s['conflicts']} conflicts; "
        + f"estimated copy + verify time {s['estimated_copy_seconds']} s.",
        "",
    ]
    review = review_first(plan["tables"])
    if review:
        lines += [
            f"## Review first: {len(review)} table(s) the classifier is not sure of", "",
            "Parked as `unknown` and flagged: nothing irreversible happens to them until a person decides. Each row "
            "gives the model's best guess and why; to settle a table, add its line to the `tables:` list of "
            "migration.yaml (edit the class if the guess is wrong) and run discovery again.", "",
            "| instance | table | best guess | confidence | why | settle with (migration.yaml `tables:`) |",
            "|---|---|---|---|---|---|",
        ]
        for t in review:
            lines.append("| " + " | ".join(_cell(x) for x in (
                t["instance"], names.qualified(t["schema"], t["table"]), t.get("model_class") or "?",
                f"{t['confidence']:.2f}", "; ".join(t["reasons"][:4]),
            )) + " | `" + (t.get("settle") or "").replace("|", "\\|") + "` |")
        lines += ["", "## All tables", ""]
    lines += [
        "| instance | table | class | confidence | destination | rows | size | est. s | conflicts | why |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in sorted(plan["tables"], key=lambda t: not t["flagged_for_review"]):  # review first, then as planned
        klass = t["class"] + (" ⚑ review" if t["flagged_for_review"] else "")
        klass += " (override)" if t["decided_by"] == "override" else ""
        lines.append("| " + " | ".join(_cell(x) for x in (
            t["instance"], names.qualified(t["schema"], t["table"]), klass, f"{t['confidence']:.2f}", _where(t["destination"]),
            t["rows"] if t["rows"] is not None else "?", _size(t["bytes"]), t["estimated_copy_seconds"],
            ", ".join(f"#{i}" for i in t["conflicts"]) or "—", "; ".join(t["reasons"][:3]),
        )) + " |")
    lines += ["", "## Applications", ""]
    if plan.get("application_rule"):
        lines += [f"Rule: {plan['application_rule']}. Placement: applications in migration.yaml's source order; each "
                  "keeps its schema names unless a name it would create in the consolidated database is already "
                  "held by an application placed before it, then it gets a schema of its own named after it "
                  "(`application:` names it, `target_schema:` overrides).", ""]
    lines += ["| application | instances | consolidated schemas | why |", "|---|---|---|---|"]
    for a in plan.get("applications") or []:
        schemas = ", ".join(f"{s} → {t}" if s != t else s for s, t in a["schemas"].items()) or "—"
        if a.get("target_schema_overrides"):
            schemas = ", ".join(f"{i}: all → {t}" for i, t in a["target_schema_overrides"].items())
        lines.append("| " + " | ".join(_cell(x) for x in (a["name"], ", ".join(a["instances"]), schemas,
                                                             "; ".join(a["why"]) or "—")) + " |")
    lines += ["", "## Conflicts across instances", ""]
    if not plan["conflicts"]:
        lines.append("None.")
    else:
        lines += ["| # | kind | table | instances | count | proposed resolution | override in |",
                  "|---|---|---|---|---|---|---|"]
        for i, c in enumerate(plan["conflicts"]):
            resolution = c.get("resolution") or {}
            text = resolution.get("strategy", "?")
            extra = {k: v for k, v in resolution.items() if k != "strategy"}
            if extra:
                text += " " + json.dumps(extra, sort_keys=True)
            lines.append("| " + " | ".join(_cell(x) for x in (
                i, c["kind"], c["table"], ", ".join(c["instances"]),
                c["count"] if c.get("count") is not None else "—", text, c.get("overridable_by") or "—",
            )) + " |")
    return "\n".join(lines) + "\n"


def write(plan: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "plan.json", directory / "plan.md"
    json_path.write_text(json.dumps(plan, indent=2, sort_keys=False) + "\n")
    md_path.write_text(render_markdown(plan))
    return json_path, md_path


def read_json_files(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    return [json.loads(Path(p).read_text()) for p in paths]


def render_summary(plan: dict[str, Any]) -> str:
    """The few lines the demo prints: tables per class and destination, review flags, conflicts."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for t in plan["tables"]:
        groups.setdefault((t["class"], t["destination"]["kind"]), []).append(t)
    lines = [f"{'CLASS':<12} {'DESTINATION':<13} {'TABLES':>6} {'ROWS':>10} {'SIZE':>9}  EXAMPLES"]
    for (klass, dest), rows in sorted(groups.items()):
        examples = ", ".join(f"{t['instance']}.{t['table']}" for t in rows[:3]) + (", …" if len(rows) > 3 else "")
        lines.append(f"{klass:<12} {dest:<13} {len(rows):>6} {sum(t['rows'] or 0 for t in rows):>10} "
                     f"{_size(sum(t['bytes'] or 0 for t in rows)):>9}  {examples}")
    s = plan["summary"]
    kinds: dict[str, int] = {}
    for c in plan["conflicts"]:
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
    lines.append(f"{s['flagged_for_review']} flagged for review; {s['conflicts']} conflicts: "
                 + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    apps = plan.get("applications") or []
    if apps:
        lines.append(f"{len(apps)} application(s), kept apart: " + "; ".join(
            f"{a['name']} ({'+'.join(a['instances'])}) -> "
            + (", ".join(sorted(set(a["target_schema_overrides"].values()))) if a.get("target_schema_overrides")
               else ", ".join(sorted(set(a["schemas"].values()))) or "nothing consolidated")
            for a in apps))
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    for arg in sys.argv[1:] or [None]:
        if arg is None:
            sys.exit("usage: python -m tributary.plan PLAN.json")
        print(render_summary(json.loads(Path(arg).read_text())))
