"""End to end: `airflow dags test tributary_discover`, then `tributary_consolidate` with tables_from=plan, merging
EVERY application table of the plan (both trading instances, shape drift included, and all of Pagila) into one
fresh database; then an independent check that trusts nothing the DAG reported:

- untouched tables (one source, nothing remapped: Pagila's) — `pg_dump --data-only` of both sides, sorted,
  identical (the partitioned `payment` through its partitions);
- merged tables — rows = sum of the sources' rows minus the losing duplicates parked in tributary.conflict_queue;
  users: minus one per e-mail present on both instances;
- every foreign key constraint of the target is VALID (pg_constraint.convalidated) and an anti-join over each
  finds no orphan; the target has at least every foreign key the sources declare.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

import airflow_run
import pg_fidelity
from airflow_run import airflow_env
from conftest import REPO

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]

SOURCES = ("src_eu", "src_us", "src_pagila")


def _rows(uri: str, sql: str, args=()) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(uri) as c, c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def _one(uri: str, sql: str, args=()):
    return _rows(uri, sql, args)[0][0]


def _config(tmp_path: Path) -> Path:
    """The committed config, with the control schema and the consolidated target moved to a scratch database;
    strategies settled by source-wins (the committed file uses last-write-wins) so both strategies run."""
    cfg = yaml.safe_load((REPO / "config" / "migration.yaml").read_text())
    cfg["control"]["connection"] = "e2e_target"
    cfg["targets"]["consolidated"]["connection"] = "e2e_target"
    for rule in cfg["tables"]:
        if rule["match"] == "*.public.strategies":
            rule.update({"conflict_strategy": "source-wins", "source_wins": "src_us"})
            rule.pop("last_write_column", None)
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _data_dump(uri: str, tables: list[str]) -> list[str]:
    """The data rows of `pg_dump --data-only` for these tables, sorted (COPY blocks only: no SET or setval lines)."""
    args = ["pg_dump", "--data-only", "--no-owner", "--no-privileges", "-d", uri]
    for t in tables:
        args += ["-t", t]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rows, inside = [], None
    for line in out.splitlines():
        if line.startswith("COPY "):
            inside = line.split(" ")[1]
            continue
        if line == "\\.":
            inside = None
            continue
        if inside:
            rows.append(f"{inside}\t{line}")
    return sorted(rows)


def _leaf_tables(uri: str, table: str) -> list[str]:
    """A table, or the partitions holding a partitioned table's rows."""
    leaves = _rows(uri, "SELECT relid::regclass::text FROM pg_partition_tree(%s::regclass) WHERE isleaf", (table,))
    return [r[0] if "." in r[0] else f"public.{r[0]}" for r in leaves] or [table]


FOREIGN_KEYS = """
SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text, con.convalidated,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE con.contype = 'f' AND n.nspname = 'public' AND con.conparentid = 0
"""


def _orphans(uri: str, child: str, parent: str, cols: list[str], pcols: list[str]) -> int:
    present = " AND ".join(f'c."{x}" IS NOT NULL' for x in cols)
    match = " AND ".join(f'p."{y}" = c."{x}"' for x, y in zip(cols, pcols))
    return _one(uri, f"SELECT count(*) FROM {child} c WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})")


def test_plan_consolidation_of_every_application_table_checked_independently(tmp_path, scratch_db):
    uris = {s: os.environ.get(f"AIRFLOW_CONN_{s.upper()}") for s in SOURCES}
    if not all(uris.values()):
        pytest.skip("the demo sources' connections are not in the environment (make stack-up)")
    if not _one(uris["src_eu"], "SELECT to_regclass('public.trades') IS NOT NULL"):
        pytest.skip("the demo sources are not loaded (make sources)")
    target = scratch_db
    # Pagila is consolidated whole (its own names, nothing merged into it): `schema --whole` restores its pg_dump,
    # extensions included, and only a superuser creates pg_stat_statements: the administrator creates it in the
    # target first, as the preflight would ask (the stack does the same in the demo's consolidated database).
    pg_fidelity.admin_sql("consolidated", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                          db=urlsplit(target).path[1:])
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(_config(tmp_path)), AIRFLOW_CONN_E2E_TARGET=target)

    rc, log = airflow_run.dags_test("tributary_discover", env, tmp_path)
    assert rc == 0, f"discover failed, see {log}"
    plan = json.loads((Path(env["TRIBUTARY_STATE"]) / "plan" / "plan.json").read_text())
    app = [t for t in plan["tables"] if t["class"] == "application" and t["destination"]["kind"] == "consolidated"
           and not t.get("skip")]
    sources_of: dict[str, list[str]] = {}
    for t in app:
        sources_of.setdefault(t["destination"]["table"], []).append(t["instance"])
    assert len(sources_of) >= 24 and {"public.payment", "public.positions", "public.agent_status"} <= set(sources_of)

    # ~120 tasks (33 copies): on a loaded 2-core machine this one run took over 40 minutes
    rc, log = airflow_run.dags_test("tributary_consolidate", env, tmp_path, "-c", '{"tables_from": "plan"}',
                                    timeout=3600)
    report_file = Path(env["TRIBUTARY_STATE"]) / "reports" / "consolidate-outcome.json"
    assert rc == 0, f"consolidate failed, see {log}"
    report = json.loads(report_file.read_text())
    assert report["all_verified"] is True
    rows = {r["table"]: r for r in report["tables"]}
    assert set(rows) == set(sources_of)  # every application table of the plan, one outcome row each

    # Untouched tables (one source, no key offset): byte-for-byte the same data, whatever the DAG says.
    untouched = [t for t, s in sources_of.items() if len(s) == 1]
    assert len(untouched) >= 15  # Pagila
    for table in untouched:
        src = uris[sources_of[table][0]]
        leaves = _leaf_tables(src, table)
        assert _data_dump(src, leaves) == _data_dump(target, leaves), f"{table}: pg_dump --data-only differs"

    # Merged tables: every source row, minus the losers of duplicate natural keys (each parked in the queue).
    merged = [t for t, s in sources_of.items() if len(s) > 1]
    assert {"public.users", "public.trades", "public.positions", "public.agent_status"} <= set(merged)
    for table in merged:
        total = sum(_one(uris[s], f"SELECT count(*) FROM {table}") for s in sources_of[table])
        losers = _one(target, "SELECT count(*) FROM tributary.conflict_queue WHERE target_table = %s", (table,))
        assert _one(target, f"SELECT count(*) FROM {table}") == total - losers, table
        for s in sources_of[table]:  # every row says where it came from
            assert _one(target, f"SELECT count(*) FROM {table} WHERE tributary_source = %s", (s,)) > 0, (table, s)
    emails = [{r[0] for r in _rows(uris[s], "SELECT email FROM public.users")} for s in ("src_eu", "src_us")]
    shared = emails[0] & emails[1]
    assert shared, "the demo plants customers present on both instances"
    assert _one(target, "SELECT count(*) FROM public.users") == len(emails[0]) + len(emails[1]) - len(shared)
    assert _one(target, "SELECT count(*) FROM tributary.key_map WHERE target_table = 'public.users'") == len(shared)
    # Column drift: region exists only in src_us; the EU rows have none.
    assert _one(target, "SELECT count(*) FROM public.agent_status WHERE tributary_source = 'src_eu' AND region IS NOT NULL") == 0

    # Foreign keys: all there, all VALID, and no orphan by an anti-join of our own.
    fks = _rows(target, FOREIGN_KEYS)
    invalid = [name for name, _, _, valid, _, _ in fks if not valid]
    assert not invalid, f"foreign keys not validated in the target: {invalid}"
    for name, child, parent, _, cols, pcols in fks:
        assert _orphans(target, child, parent, cols, pcols) == 0, f"{name}: rows of {child} point at no {parent}"
    def planned(name: str) -> bool:
        return (name if "." in name else f"public.{name}") in sources_of

    declared = set()
    for uri in uris.values():
        declared |= {(child, parent, tuple(cols)) for _, child, parent, _, cols, _ in _rows(uri, FOREIGN_KEYS)
                     if planned(child) and planned(parent)}
    landed = {(child, parent, tuple(cols)) for _, child, parent, _, cols, _ in fks}
    assert declared <= landed, f"foreign keys of the sources missing in the target: {declared - landed}"
