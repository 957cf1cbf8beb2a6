"""GX suites generated from the discovery profile, and the gate's layers (template, keys, generated, overlay)."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from tributary import gate, suites


def _inventory(instance, tables, enums=()):
    return {"instance": instance, "enums": list(enums), "tables": tables}


def _table(name, columns, *, pk=("id",), uniques=(), fks=(), time_span=None, schema="public"):
    return {"schema": schema, "name": name, "primary_key": list(pk), "unique_keys": [list(u) for u in uniques],
            "foreign_keys": list(fks),
            "columns": [{"name": c, "type": t, "nullable": n} for c, t, n in columns],
            "profile": {"time_span": time_span}}


def _entry(instance, table, klass, kind, target, key=("id",), schema="public"):
    return {"instance": instance, "schema": schema, "table": table, "class": klass, "skip": False, "key": list(key),
            "destination": {"kind": kind, "table": target}}


USERS_COLS = [("id", "bigint", False), ("email", "text", False), ("status", "public.user_status", True),
              ("note", "text", True)]


@pytest.fixture
def layers(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_GX_GENERATED", str(tmp_path / "generated"))
    monkeypatch.setenv("TRIBUTARY_EXPECTATIONS", str(tmp_path / "expectations"))
    monkeypatch.setenv("TRIBUTARY_STATE", str(tmp_path / "state"))
    # the committed GX project (templates) is needed by the gate; overlays come from the temp folder
    import shutil
    from tributary import paths

    shutil.copytree(paths.REPO_ROOT / "expectations" / "gx", tmp_path / "expectations" / "gx")
    (tmp_path / "expectations" / "overlays").mkdir(parents=True)
    return tmp_path


def test_generated_suites_follow_the_profile():
    eu = _inventory("src_eu", [
        _table("users", USERS_COLS, uniques=[("email",)]),
        _table("orders", [("id", "bigint", False), ("user_id", "bigint", True)],
               fks=[{"name": "orders_user_fk", "columns": ["user_id"], "ref_schema": "public", "ref_table": "users",
                     "ref_columns": ["id"]}]),
        _table("ticks", [("id", "bigint", False), ("ts", "timestamp with time zone", False),
                         ("user_id", "bigint", True)], schema="market",
               fks=[{"name": "ticks_user_fk", "columns": ["user_id"], "ref_schema": "public", "ref_table": "users",
                     "ref_columns": ["id"]}],
               time_span={"column": "ts", "min": "2026-01-01T00:00:00Z", "max": "2026-06-30T00:00:00Z",
                          "source": "index"}),
        _table("legacy", [("id", "int", False)]),
    ], enums=[{"schema": "public", "name": "user_status", "labels": ["active", "closed"]}])
    us = _inventory("src_us", [_table("users", [("id", "bigint", False), ("email", "text", True),
                                                ("status", "public.user_status", True), ("note", "text", True)])],
                    enums=[{"schema": "public", "name": "user_status", "labels": ["active", "frozen"]}])
    plan = {"tables": [
        _entry("src_eu", "users", "application", "consolidated", "public.users"),
        _entry("src_us", "users", "application", "consolidated", "public.users"),
        _entry("src_eu", "orders", "application", "consolidated", "public.orders"),
        _entry("src_eu", "ticks", "broker", "warehouse", "market.ticks", schema="market"),
        {**_entry("src_eu", "legacy", "unknown", "archive", "x"), "destination": {"kind": "archive"}},
    ]}
    built = suites.build(plan, [eu, us])
    assert set(built) == {"consolidated.public.users", "consolidated.public.orders", "warehouse.market.ticks"}

    users = {suites.identity(e): e for e in built["consolidated.public.users"]["expectations"]}
    assert ("expect_column_values_to_not_be_null", "id") in users
    # email is NOT NULL on src_eu only, so not on the merged target; nor unique (two sources share emails)
    assert ("expect_column_values_to_not_be_null", "email") not in users
    assert ("expect_column_values_to_be_unique", "email") not in users
    assert users[("expect_column_values_to_be_in_set", "status")]["kwargs"]["value_set"] == ["active", "closed", "frozen"]

    orders = built["consolidated.public.orders"]["expectations"]
    fk = [e for e in orders if e["type"] == "unexpected_rows_expectation"]
    assert len(fk) == 1 and fk[0]["severity"] == "warning"
    assert 'NOT EXISTS (SELECT 1 FROM "public"."users" p WHERE p."id" = b."user_id")' in fk[0]["kwargs"]["unexpected_rows_query"]

    ticks = {e["type"]: e for e in built["warehouse.market.ticks"]["expectations"]}
    # users lands in the consolidated database, not the warehouse: no FK check across databases
    assert not any("users" in e["kwargs"].get("unexpected_rows_query", "") for e in ticks.values())
    assert ticks["expect_column_values_to_be_between"]["kwargs"] == {"column": "ts", "min_value": "2026-01-01T00:00:00Z"}
    assert ticks["expect_column_max_to_be_between"]["severity"] == "warning"
    assert "lag(\"ts\") OVER (ORDER BY \"id\")" in ticks["unexpected_rows_expectation"]["kwargs"]["unexpected_rows_query"]


def test_write_replaces_the_generated_layer_only(layers):
    gen = suites.generated_dir()
    gen.mkdir(parents=True)
    (gen / "consolidated.public.gone.json").write_text("{}")
    overlay = layers / "expectations" / "overlays" / "consolidated.public.users.json"
    overlay.write_text('{"expectations": []}')
    suites.write({"consolidated.public.users": {"name": "consolidated.public.users", "expectations": []}})
    assert sorted(p.name for p in gen.glob("*.json")) == ["consolidated.public.users.json"]
    assert overlay.read_text() == '{"expectations": []}'


def test_overlay_wins_and_can_disable_a_generated_expectation(layers):
    (suites.generated_dir()).mkdir(parents=True)
    (suites.generated_dir() / "consolidated.app.t.json").write_text(json.dumps({"expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "region", "value_set": ["eu"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "email"}},
    ]}))
    (layers / "expectations" / "overlays" / "consolidated.app.t.json").write_text(json.dumps({"expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "region", "value_set": ["eu", "us"]}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "email"}, "meta": {"disabled": True}},
    ]}))
    merged, used = suites.layered("consolidated.app.t", [{"type": "expect_table_row_count_to_equal", "kwargs": {}}])
    by_id = {suites.identity(e): e for e in merged}
    assert by_id[("expect_column_values_to_be_in_set", "region")]["kwargs"]["value_set"] == ["eu", "us"]
    assert ("expect_column_values_to_not_be_null", "email") not in by_id
    assert ("expect_table_row_count_to_equal", "") in by_id
    assert len(used) == 2


@pytest.mark.stack
def test_gate_runs_all_layers_critical_fails_warning_reports(layers, scratch_db, psql):
    psql("CREATE SCHEMA app; CREATE TABLE app.parent (id int); INSERT INTO app.parent VALUES (1);"
         "CREATE TABLE app.t (id bigint, region text, parent_id int);"
         "INSERT INTO app.t VALUES (1,'eu',1),(2,'us',1),(3,'eu',7)")
    suites.write({"consolidated.app.t": {"name": "consolidated.app.t", "expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "region", "value_set": ["eu"]}},
        {"type": "unexpected_rows_expectation", "severity": "warning",
         "kwargs": {"unexpected_rows_query": "SELECT b.* FROM {batch} b WHERE NOT EXISTS"
                                             " (SELECT 1 FROM app.parent p WHERE p.id = b.parent_id)",
                    "description": "every parent_id has a parent in app.parent"}},
    ]}})
    with pytest.raises(AirflowFailException) as err:
        gate.check(connection_uri=scratch_db, table="app.t", key=["id"], expected_rows=3)
    msg = str(err.value)
    assert "expect_column_values_to_be_in_set(region): 1 unexpected of 3" in msg
    assert "warnings: unexpected_rows_expectation(every parent_id has a parent in app.parent)" in msg

    # a hand-written overlay widens the set: the gate passes, the FK warning is still reported
    (layers / "expectations" / "overlays" / "consolidated.app.t.json").write_text(json.dumps({"expectations": [
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "region", "value_set": ["eu", "us"]}}]}))
    out = gate.check(connection_uri=scratch_db, table="app.t", key=["id"], expected_rows=3)
    assert out["success"] is True and out["failures"] == []
    assert len(out["warnings"]) == 1 and len(out["layers"]) == 2


def test_infinities_in_the_time_column_drop_the_bounds_they_would_break():
    """min/max are the finite extremes; '-infinity' rows would fail a lower bound, and a max of 'infinity'
    says nothing about recency."""
    span = {"column": "ts", "min": "2026-01-01T00:00:00Z", "max": "2026-06-30T00:00:00Z", "source": "index"}
    cols = [("id", "bigint", False), ("ts", "timestamp with time zone", False)]

    def broker_suite(infinities):
        inv = _inventory("src_eu", [_table("ticks", cols, schema="market",
                                           time_span={**span, "infinities": infinities})])
        plan = {"tables": [_entry("src_eu", "ticks", "broker", "warehouse", "market.ticks", schema="market")]}
        return {e["type"] for e in suites.build(plan, [inv])["warehouse.market.ticks"]["expectations"]}

    assert {"expect_column_values_to_be_between", "expect_column_max_to_be_between"} <= broker_suite([])
    only_up = broker_suite(["infinity"])
    assert "expect_column_values_to_be_between" in only_up and "expect_column_max_to_be_between" not in only_up
    only_down = broker_suite(["-infinity"])
    assert "expect_column_values_to_be_between" not in only_down and "expect_column_max_to_be_between" in only_down
    assert "unexpected_rows_expectation" in broker_suite(["-infinity", "infinity"])  # monotonicity still checked
