"""End to end: `airflow dags test tributary_consolidate` merging the demo's two trading instances (and Pagila)
into one fresh database: keys remapped, duplicate customers folded, every foreign key valid in the target."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import airflow_run
from airflow_run import airflow_env

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]

MERGED = ["public.users", "public.strategies", "public.trades"]
FOREIGN_KEYS = [  # child table, column, parent table (as declared in both trading instances)
    ("public.strategies", "owner_user_id", "public.users"),
    ("public.trades", "user_id", "public.users"),
    ("public.trades", "strategy_id", "public.strategies"),
    ("public.film", "language_id", "public.language"),
]


def _one(uri: str, sql: str):
    import psycopg2

    with psycopg2.connect(uri) as c, c.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def _emails(uri: str) -> set[str]:
    import psycopg2

    with psycopg2.connect(uri) as c, c.cursor() as cur:
        cur.execute("SELECT email FROM public.users")
        return {r[0] for r in cur.fetchall()}


def test_consolidate_merges_both_trading_instances_with_valid_foreign_keys(tmp_path, scratch_db):
    eu, us, pagila = (os.environ.get(f"AIRFLOW_CONN_{s}") for s in ("SRC_EU", "SRC_US", "SRC_PAGILA"))
    if not (eu and us and pagila):
        pytest.skip("the demo sources' connections are not in the environment (make stack-up)")
    if not _one(eu, "SELECT to_regclass('public.trades') IS NOT NULL"):
        pytest.skip("the demo sources are not loaded (make sources)")
    target = scratch_db
    tables = "".join(f"    - {{source: {s}, table: {t}}}\n" for t in MERGED for s in ("src_eu", "src_us"))
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: e2e_target}\n"
        "sources: [{id: src_eu}, {id: src_us}, {id: src_pagila}]\ntargets: {consolidated: {connection: e2e_target}}\n"
        "tables:\n"
        "  - {match: '*.public.users', natural_key: [email], conflict_strategy: last-write-wins,"
        " last_write_column: updated_at, source_wins: src_eu}\n"
        "  - {match: '*.public.strategies', natural_key: [code], conflict_strategy: source-wins, source_wins: src_us}\n"
        "consolidate:\n  tables:\n" + tables
        + "    - {source: src_pagila, table: public.language}\n    - {source: src_pagila, table: public.film}\n"
    )
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(cfg), AIRFLOW_CONN_E2E_TARGET=target)

    rc, log = airflow_run.dags_test("tributary_consolidate", env, tmp_path)
    report_file = Path(env["TRIBUTARY_STATE"]) / "reports" / "consolidate-outcome.json"
    assert rc == 0, f"dags test failed, see {log}"
    report = json.loads(report_file.read_text())
    assert report["all_verified"] is True
    rows = {r["table"]: r for r in report["tables"]}
    assert set(rows) == set(MERGED) | {"public.film", "public.language"}  # one row per target table
    assert {s["source"] for s in rows["public.users"]["sources"]} == {"src_eu", "src_us"}

    # users: every EU and US row, minus one per e-mail present on both (folded into the newer row)
    shared = _emails(eu) & _emails(us)
    assert shared, "the demo plants customers present on both instances"
    eu_users, us_users = (_one(u, "SELECT count(*) FROM public.users") for u in (eu, us))
    assert _one(target, "SELECT count(*) FROM public.users") == eu_users + us_users - len(shared)
    assert rows["public.users"]["rows"] == eu_users + us_users - len(shared)
    assert _one(target, "SELECT count(DISTINCT email) FROM public.users") == eu_users + us_users - len(shared)
    assert _one(target, "SELECT count(*) FROM tributary.key_map WHERE target_table = 'public.users'") == len(shared)
    assert _one(target, "SELECT count(*) FROM tributary.conflict_queue WHERE target_table = 'public.users'") == len(shared)
    # trades: all of them, each tagged with its instance
    for src, uri in (("src_eu", eu), ("src_us", us)):
        assert _one(target, f"SELECT count(*) FROM public.trades WHERE tributary_source = '{src}'") == \
            _one(uri, "SELECT count(*) FROM public.trades")
    assert _one(target, "SELECT count(*) FROM public.film") == _one(pagila, "SELECT count(*) FROM public.film")

    # every foreign key resolves in the target, and the real constraints can be created
    for child, column, parent in FOREIGN_KEYS:
        key = "language_id" if parent == "public.language" else "id"
        dangling = _one(target, f"SELECT count(*) FROM {child} c LEFT JOIN {parent} p ON p.{key} = c.{column}"
                                f" WHERE c.{column} IS NOT NULL AND p.{key} IS NULL")
        assert dangling == 0, f"{child}.{column}: {dangling} rows point at no {parent}"
    import psycopg2

    with psycopg2.connect(target) as c, c.cursor() as cur:
        for child, column, parent in FOREIGN_KEYS:
            key = "language_id" if parent == "public.language" else "id"
            cur.execute(f"ALTER TABLE {child} ADD FOREIGN KEY ({column}) REFERENCES {parent} ({key})")
        cur.execute("ALTER TABLE public.users ADD UNIQUE (email)")
