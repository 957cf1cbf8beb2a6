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
    assert {"instance.scan_args", "instance.scan", "conflicts", "classify", "plan"} <= set(tasks)
    assert set(dag.params) >= {"dry_run", "table_filter", "exact_counts", "min_confidence"}
    assert [a.uri.rstrip("/") for a in tasks["plan"].outlets] == ["tributary://plan"]  # Airflow normalises a trailing /
    assert tasks["plan"].upstream_task_ids >= {"classify", "conflicts"}
