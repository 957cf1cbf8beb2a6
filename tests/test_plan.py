"""The migration plan: destinations by class, overrides, conflicts per table, the readable report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tributary import config, plan as planning

FIXTURES = Path(__file__).parent / "fixtures" / "classify"


def make_config(tmp_path: Path, **extra) -> config.MigrationConfig:
    raw = yaml.safe_load((Path(__file__).parents[1] / "config" / "migration.yaml").read_text())
    raw.update(extra)
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(raw))
    return config.load(path)


def decision(inv: dict, t: dict, klass: str, *, flagged: bool = False, source: str = "model") -> dict:
    return {"instance": inv["instance"], "schema": t["schema"], "table": t["name"], "class": klass,
            "confidence": 0.9, "reasons": [f"because {klass}"], "flagged_for_review": flagged, "source": source}


@pytest.fixture
def inventory():
    inv = json.loads((FIXTURES / "trading_inventory.json").read_text())
    inv["instance"] = "src_eu"
    return inv


def classes_by_rule(inv: dict) -> list[dict]:
    out = []
    for t in inv["tables"]:
        klass = "broker" if t["schema"] == "market" else "unknown" if "legacy" in t["name"] else "application"
        out.append(decision(inv, t, klass))
    return out


def test_each_class_goes_to_its_destination(tmp_path, inventory):
    cfg = make_config(tmp_path)
    plan = planning.build_plan(cfg, [inventory], classes_by_rule(inventory), [])
    rows = {(t["schema"], t["table"]): t for t in plan["tables"]}
    assert rows[("public", "users")]["destination"] == {"kind": "consolidated", "connection": "consolidated",
                                                         "table": "public.users"}
    assert rows[("market", "ticks")]["destination"] == {"kind": "warehouse", "connection": "warehouse",
                                                         "dialect": "postgres", "table": "market.ticks"}
    legacy = next(t for t in plan["tables"] if t["class"] == "unknown")
    assert legacy["destination"]["location"] == f"s3://tributary-archive/archive/src_eu/public/{legacy['table']}/"
    assert plan["summary"]["tables"] == len(inventory["tables"])


def test_target_schema_of_a_source_renames_the_consolidated_schema(tmp_path, inventory):
    cfg = make_config(tmp_path)
    cfg.raw["sources"][0]["target_schema"] = "eu"
    plan = planning.build_plan(cfg, [inventory], classes_by_rule(inventory), [])
    users = next(t for t in plan["tables"] if t["table"] == "users")
    assert users["destination"]["table"] == "eu.users"


def test_a_broker_table_without_a_warehouse_target_goes_to_review(tmp_path, inventory):
    cfg = make_config(tmp_path)
    del cfg.raw["targets"]["warehouse"]
    plan = planning.build_plan(cfg, [inventory], classes_by_rule(inventory), [])
    ticks = next(t for t in plan["tables"] if t["table"] == "ticks")
    assert ticks["destination"]["kind"] == "review" and "warehouse" in ticks["destination"]["reason"]


def test_overrides_come_from_both_places_in_migration_yaml(tmp_path):
    cfg = make_config(tmp_path, classification={"overrides": {"src_eu.public.tmp_*": "unknown"}},
                      tables=[{"match": "src_us.market.*", "class": "application", "key": ["id"]}])
    assert planning.overrides_from(cfg) == {"src_eu.public.tmp_*": "unknown", "src_us.market.*": "application"}
    assert planning.table_rules(cfg, "src_us.market.fills") == {"class": "application", "key": ["id"]}
    assert planning.table_rules(cfg, "src_eu.market.fills") == {}


def test_configured_key_wins_over_the_primary_key(tmp_path, inventory):
    cfg = make_config(tmp_path, tables=[{"match": "*.public.users", "key": ["email"]}])
    plan = planning.build_plan(cfg, [inventory], classes_by_rule(inventory), [])
    users = next(t for t in plan["tables"] if t["table"] == "users")
    assert users["key"] == ["email"]


def test_conflicts_attach_to_their_table_and_render(tmp_path, inventory):
    cfg = make_config(tmp_path)
    conflicts = [{"kind": "key_overlap", "table": "public.users", "instances": ["src_eu", "src_us"], "count": 4000,
                  "detail": {}, "sample": [], "resolution": {"strategy": "key-remapping", "offset": 10000000},
                  "overridable_by": "tables[match=*.public.users].key_remapping"}]
    plan = planning.build_plan(cfg, [inventory], classes_by_rule(inventory), conflicts)
    users = next(t for t in plan["tables"] if t["table"] == "users")
    assert users["conflicts"] == [0]
    md = planning.render_markdown(plan)
    assert "| 0 | key_overlap | public.users | src_eu, src_us | 4000 | key-remapping {\"offset\": 10000000} |" in md
    assert "| src_eu | public.users | application" in md


def test_flagged_tables_are_marked_in_the_report(tmp_path, inventory):
    cfg = make_config(tmp_path)
    decisions = classes_by_rule(inventory)
    decisions[0] = {**decisions[0], "class": "unknown", "flagged_for_review": True}
    plan = planning.build_plan(cfg, [inventory], decisions, [])
    assert plan["summary"]["flagged_for_review"] == 1
    assert "⚑ review" in planning.render_markdown(plan)


def test_estimated_copy_time_scales_with_size():
    assert planning.estimated_copy_seconds(None) is None
    assert planning.estimated_copy_seconds(150_000_000) == pytest.approx(planning.VERIFY_FACTOR, abs=0.05)


def test_markdown_cells_cannot_break_the_table(tmp_path, inventory):
    cfg = make_config(tmp_path)
    decisions = classes_by_rule(inventory)
    decisions[0]["reasons"] = ["a | pipe\nand a newline"]
    md = planning.render_markdown(planning.build_plan(cfg, [inventory], decisions, []))
    assert "a \\| pipe and a newline" in md


def test_write_produces_json_and_markdown(tmp_path, inventory):
    cfg = make_config(tmp_path)
    plan = planning.build_plan(cfg, [inventory], classes_by_rule(inventory), [], run_id="manual__1")
    json_path, md_path = planning.write(plan, tmp_path / "out")
    assert json.loads(json_path.read_text())["run_id"] == "manual__1"
    assert md_path.read_text().startswith("# Tributary migration plan")


def test_discover_dag_maps_scans_per_instance_and_publishes_the_plan_asset():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(Path(__file__).parents[1] / "dags"), include_examples=False)
    assert not bag.import_errors
    dag = bag.dags["tributary_discover"]
    tasks = {t.task_id: t for t in dag.tasks}
    scans = {f"instance_{s}.{t}" for s in config.load().source_ids for t in ("scan_args", "scan")}  # a group each
    assert scans | {"conflicts", "classify", "plan"} <= set(tasks)
    assert set(dag.params) >= {"dry_run", "table_filter", "exact_counts", "min_confidence"}
    assert [a.uri.rstrip("/") for a in tasks["plan"].outlets] == ["tributary://plan"]  # Airflow normalises a trailing /
    assert tasks["plan"].upstream_task_ids >= {"classify", "conflicts"}


# ---- applications kept apart (issue 15, item 4)

def invoicing_inventory() -> dict:
    """A small unrelated application that also has public.customer (other columns, other meaning)."""
    def table(name, columns):
        return {"schema": "public", "name": name, "kind": "table", "primary_key": ["id"],
                "columns": [{"name": c, "position": i + 1, "type": "text"} for i, c in enumerate(columns)],
                "size": {"rows_estimate": 10, "total_bytes": 8192}}
    return {"instance": "src_invoicing", "enums": [{"schema": "public", "name": "invoice_status", "labels": ["paid"]}],
            "tables": [table("customer", ["id", "company_name", "vat_number", "created_at"]),
                       table("invoice", ["id", "number", "customer_id", "amount"]),
                       table("employee", ["id", "full_name", "email"])]}


def pagila_inventory() -> dict:
    return json.loads((FIXTURES / "pagila_inventory.json").read_text()) | {"instance": "src_pagila"}


def two_applications(tmp_path, **source_keys):
    """The demo config plus src_invoicing (after src_pagila); the grouping as the worker's `conflicts` writes it."""
    cfg = make_config(tmp_path)
    cfg.raw["sources"].append({"id": "src_invoicing"})
    for s in cfg.raw["sources"]:
        s.update(source_keys.get(s["id"], {}))
    inventories = [pagila_inventory(), invoicing_inventory()]
    decisions = [decision(inv, t, "application") for inv in inventories for t in inv["tables"]]
    grouping = {"application_rule": "Jaccard >= 0.5", "application_threshold": 0.5,
                "applications": [{"name": "src_pagila", "instances": ["src_pagila"], "named_in_config": False},
                                 {"name": "src_invoicing", "instances": ["src_invoicing"], "named_in_config": False}],
                "similarities": [{"instances": ["src_pagila", "src_invoicing"], "jaccard": 0.011,
                                  "shared_columns": 1, "union_columns": 95}]}
    return planning.build_plan(cfg, inventories, decisions, [], grouping=grouping)


def targets(plan: dict, instance: str) -> set[str]:
    return {t["destination"]["table"] for t in plan["tables"] if t["instance"] == instance}


def test_an_unrelated_application_with_a_shared_table_name_gets_a_schema_of_its_own(tmp_path):
    plan = two_applications(tmp_path)
    assert "public.customer" in targets(plan, "src_pagila") and "public.film" in targets(plan, "src_pagila")
    assert targets(plan, "src_invoicing") == {"src_invoicing.customer", "src_invoicing.invoice", "src_invoicing.employee"}
    assert not targets(plan, "src_pagila") & targets(plan, "src_invoicing"), "nothing merged across applications"
    pagila, invoicing = plan["applications"]
    assert pagila["schemas"] == {"public": "public"} and invoicing["schemas"] == {"public": "src_invoicing"}
    assert "public.customer (src_pagila)" in "; ".join(invoicing["why"])
    assert {t["application"] for t in plan["tables"]} == {"src_pagila", "src_invoicing"}
    report = planning.render_markdown(plan)
    assert "## Applications" in report and "Jaccard 0.01 (1 of 95" in report
    assert "| src_invoicing | src_invoicing | public → src_invoicing |" in report
    assert "2 application(s), kept apart: src_pagila (src_pagila) -> public; src_invoicing (src_invoicing) -> " \
           "src_invoicing" in planning.render_summary(plan)


def test_target_schema_in_migration_yaml_overrides_the_placement(tmp_path):
    plan = two_applications(tmp_path, src_invoicing={"target_schema": "billing"})
    assert targets(plan, "src_invoicing") == {"billing.customer", "billing.invoice", "billing.employee"}
    assert "target_schema in migration.yaml: src_invoicing -> billing" in "; ".join(plan["applications"][1]["why"])


def test_applications_without_a_name_in_common_keep_their_schema_names(tmp_path, inventory):
    """The demo: the trading platform and Pagila share no table, view, sequence or type name in public."""
    cfg = make_config(tmp_path)
    inventories = [inventory, pagila_inventory()]
    decisions = [decision(inv, t, "application") for inv in inventories for t in inv["tables"]]
    grouping = {"applications": [{"name": "src_eu", "instances": ["src_eu"]},
                                 {"name": "src_pagila", "instances": ["src_pagila"]}], "similarities": []}
    plan = planning.build_plan(cfg, inventories, decisions, [], grouping=grouping)
    assert all(t["destination"]["table"] == f"{t['schema']}.{t['table']}" for t in plan["tables"])
    assert "keeps its schema names" in "; ".join(plan["applications"][1]["why"])


def test_without_a_grouping_all_instances_are_one_application(tmp_path, inventory):
    plan = planning.build_plan(make_config(tmp_path), [inventory], classes_by_rule(inventory), [])
    assert [a["instances"] for a in plan["applications"]] == [["src_eu"]]


def test_tables_under_the_review_threshold_come_first_with_a_guess_reasons_and_a_settling_line(tmp_path, inventory):
    """Issue 21: plan.md opens with the flagged tables, least sure first: best guess, reasons, and the one line of
    migration.yaml that settles each; that line really settles it (it parses, matches only that table, and wins)."""
    cfg = make_config(tmp_path)
    decisions = classes_by_rule(inventory)
    by_name = {d["table"]: d for d in decisions}
    by_name["fills"].update({"class": "unknown", "flagged_for_review": True, "confidence": 0.55, "model_class": "broker",
                             "reasons": ["confidence 55% is below the review threshold 70%; the model's best guess is "
                                         "broker", "appended to and read"]})
    by_name["agent_status"].update({"class": "unknown", "flagged_for_review": True, "confidence": 0.41,
                                    "model_class": "application", "reasons": ["confidence capped at 50%"]})
    plan = planning.build_plan(cfg, [inventory], decisions, [])
    md = planning.render_markdown(plan)
    review = md.index("## Review first: 2 table(s)")
    assert review < md.index("## All tables") < md.index("## Applications")
    section = md[review:md.index("## All tables")]
    # least sure first; the guess, the reasons and the line to paste
    assert section.index("public.agent_status") < section.index("market.fills")
    assert '| src_eu | market.fills | broker | 0.55 | confidence 55% is below the review threshold' in section
    assert '`- {match: "src_eu.market.fills", class: broker}`' in section
    fills = next(t for t in plan["tables"] if t["table"] == "fills")
    assert fills["model_class"] == "broker" and fills["settle"] == '- {match: "src_eu.market.fills", class: broker}'
    assert next(t for t in plan["tables"] if t["table"] == "users")["settle"] is None
    # no phase moves a flagged table: it is planned to "review", not to the archive
    assert fills["destination"]["kind"] == "review" and fills["class"] == "unknown"
    # in the all-tables list too, the flagged ones lead
    rows = [line for line in md[md.index("## All tables"):].splitlines() if line.startswith("| src_eu |")]
    assert "⚑ review" in rows[0] and "⚑ review" in rows[1] and "⚑ review" not in rows[2]

    # pasted into migration.yaml, the line settles the table: the config validates and the override wins
    [rule] = yaml.safe_load(fills["settle"])
    settled = make_config(tmp_path, tables=cfg.raw.get("tables", []) + [rule])
    assert planning.overrides_from(settled)["src_eu.market.fills"] == "broker"


@pytest.mark.parametrize("schema, table", [("public", "rates*2024?[old]"), ("Odd Schema", 'a.b"c'), ("public", "ümlaut")])
def test_the_settling_line_matches_exactly_that_table_even_with_odd_names(tmp_path, schema, table):
    from fnmatch import fnmatchcase

    from tributary import names
    from tributary.classify.inventory import matching_override

    line = planning.settle_line("src_x", schema, table, "broker")
    [rule] = yaml.safe_load(line)
    assert rule["class"] == "broker"
    qualified = names.qualified("src_x", schema, table)
    assert fnmatchcase(qualified, rule["match"])
    assert not fnmatchcase(names.qualified("src_x", schema, table + "x"), rule["match"])
    assert matching_override(qualified, {rule["match"]: "broker"}) == (rule["match"], "broker")
    make_config(tmp_path, tables=[rule])  # the schema of migration.yaml accepts it


def test_odd_names_are_written_as_they_parse_back(tmp_path, inventory):
    """The plan's markdown names a table the way names.parse reads it back (a dot inside a name is quoted), and an
    archived table's location is the worker's key: each name one segment (names.key_segment)."""
    from tributary import names

    cfg = make_config(tmp_path)
    legacy = next(t for t in inventory["tables"] if "legacy" in t["name"])
    legacy["name"] = "legacy.a/b"
    decisions = classes_by_rule(inventory)
    plan = planning.build_plan(cfg, [inventory], decisions, [])
    row = next(t for t in plan["tables"] if t["table"] == "legacy.a/b")
    assert row["destination"]["location"] == "s3://tributary-archive/archive/src_eu/public/legacy.a%2Fb/"
    md = planning.render_markdown(plan)
    assert f"| {names.qualified('public', 'legacy.a/b')} |" in md and names.parse('public."legacy.a/b"') == (
        "public", "legacy.a/b")
