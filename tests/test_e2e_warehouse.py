"""End to end with REAL Airflow: a scheduler and an api-server for a throwaway AIRFLOW_HOME, and
`airflow backfill create` over past trading days of tributary_warehouse (its custom timetable decides
which runs exist and what each one loads)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from airflow_run import AirflowServices, airflow_env, scratch_databases

pytestmark = [pytest.mark.e2e, pytest.mark.stack]

DAG_ID = "tributary_warehouse"


@pytest.fixture
def metadata_db(consolidated_uri):
    """Airflow's metadata in a scratch PostgreSQL database: scheduler, api-server and the CLI write
    concurrently, which SQLite answers with "database is locked"."""
    with scratch_databases(consolidated_uri, f"tributary_airflow_e2e_{os.getpid()}",
                           scheme="postgresql+psycopg2") as (uri,):
        yield uri


def _results(env) -> dict[str, dict]:
    folder = Path(env["TRIBUTARY_STATE"]) / "reports" / "warehouse"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def test_backfill_creates_one_run_per_trading_day_with_its_partition(tmp_path, metadata_db):
    """Tue 27 - Thu 29 Oct 2026 plus Fri 30 and the weekend: the weekend is no trading day, so no run."""
    env = airflow_env(tmp_path, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_db)
    with AirflowServices(env, tmp_path) as airflow:
        runs = airflow.backfill(DAG_ID, "2026-10-27", "2026-11-01", conf={"dry_run": True})
    backfill_runs = sorted(r["run_id"] for r in runs if r["run_id"].startswith("backfill__"))
    assert [r.split("__")[1][:10] for r in backfill_runs] == ["2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30"]
    assert all(r["state"] == "success" for r in runs if r["run_id"] in backfill_runs), runs

    results = _results(env)
    assert set(results) >= {"2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30"}
    # Each run's partition is its trading day: previous 17:30 New York (EDT) to this day's 17:30.
    assert results["2026-10-27"]["from"] == "2026-10-26T21:30:00+00:00"
    assert results["2026-10-27"]["to"] == "2026-10-27T21:30:00+00:00"
    assert results["2026-10-30"]["to"] == "2026-10-30T21:30:00+00:00"
    for day in ("2026-10-27", "2026-10-30"):
        tables = results[day]["tables"]
        assert tables and {t["verified"] for t in tables} == {"dry-run"}  # a dry run moves nothing
        assert results[day]["run_id"].startswith(f"backfill__{day}")


@pytest.fixture
def warehouse_pair(consolidated_uri):
    """A source and a warehouse stand-in database (on the consolidated instance, where we may CREATEDB)."""
    with scratch_databases(consolidated_uri, *(f"tributary_wh_e2e_{os.getpid()}_{r}" for r in ("src", "wh"))) as uris:
        yield uris


def _partition_figures(uri: str, table: str, bounds: dict[str, tuple[str, str]]) -> dict[str, tuple[int, str]]:
    """Rows and an order-independent digest per partition, computed here (independent of the worker)."""
    import psycopg2

    out = {}
    with psycopg2.connect(uri) as c, c.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        for day, (lo, hi) in bounds.items():
            cur.execute(f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                        f"FROM {table} t WHERE ts >= %s AND ts < %s", (lo, hi))
            out[day] = cur.fetchone()
    return out


@pytest.mark.worker
def test_warehouse_backfill_is_idempotent(tmp_path, warehouse_pair, metadata_db):
    """Backfill a past week for real (Fri 23 - Thu 29 Oct 2026: five trading days across a weekend, whose rows
    fold into Monday's partition; stage -> load -> verify -> GX), twice: same rows, same checksums."""
    import psycopg2

    src, wh = warehouse_pair
    with psycopg2.connect(src) as c, c.cursor() as cur:
        cur.execute("CREATE SCHEMA market; CREATE TABLE market.fills (exec_id text, symbol text NOT NULL, "
                    "ts timestamptz NOT NULL, price numeric(18,6) NOT NULL, qty numeric(18,4) NOT NULL, "
                    "PRIMARY KEY (exec_id, ts));"
                    # every 7 minutes from Thu 22 Oct (after Friday's interval opened) to Sat 31 Oct 2026:
                    # weekend rows belong to Monday, the rows after Thursday's close to no backfilled day
                    "INSERT INTO market.fills SELECT 'x' || g, (ARRAY['AAPL','MSFT','BTC-USD'])[1 + g % 3], "
                    "timestamptz '2026-10-22 22:00+00' + g * interval '7 min', 100 + (g % 997) / 1000.0, 1 + g % 50 "
                    "FROM generate_series(0, 9 * 24 * 60 / 7) g;")
    cfg = tmp_path / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: e2e_wh}\nsources: [{id: e2e_src}]\n"
        "targets:\n  consolidated: {connection: e2e_wh}\n"
        "  warehouse:\n    connection: e2e_wh\n    dialect: postgres\n    schema: market\n"
        "    staging_connection: s3\n    staging_bucket: tributary-staging\n"
        f"    staging_prefix: e2e-{tmp_path.name}\n"
        "    tables: [{source: e2e_src, table: market.fills, key: [exec_id, ts], partition_column: ts}]\n"
        "warehouse: {exchange: XNYS, timezone: America/New_York, window: {after_close: '17:30', before_open: '08:00'}}\n"
    )
    env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(cfg), AIRFLOW_CONN_E2E_SRC=src, AIRFLOW_CONN_E2E_WH=wh,
                      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_db)
    days = ("2026-10-23", "2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29")
    with AirflowServices(env, tmp_path) as airflow:
        runs = airflow.backfill(DAG_ID, days[0], days[-1])
        runs = [r for r in runs if r["run_id"].startswith("backfill__")]  # not a scheduled run of today
        assert sorted(r["run_id"].split("__")[1][:10] for r in runs) == list(days)  # none for Sat/Sun
        assert {r["state"] for r in runs} == {"success"}, runs
        first = _results(env)
        bounds = {d: (first[d]["from"], first[d]["to"]) for d in days}
        landed = _partition_figures(wh, "market.fills", bounds)

        folder = Path(env["TRIBUTARY_STATE"]) / "reports" / "warehouse"
        written = {d: (folder / f"{d}.json").stat().st_mtime_ns for d in days}
        runs = airflow.backfill(DAG_ID, days[0], days[-1], reprocess="completed")  # the same days again
        runs = [r for r in runs if r["run_id"].startswith("backfill__")]
        # every partition really ran again (its result file was rewritten), not just the earlier runs seen
        assert all((folder / f"{d}.json").stat().st_mtime_ns > written[d] for d in days)
        assert {r["state"] for r in runs} == {"success"}, runs
        second = _results(env)

    expected = _partition_figures(src, "market.fills", bounds)
    for d in days:
        assert first[d]["all_verified"] and second[d]["all_verified"], (first[d], second[d])
        (row1,), (row2,) = first[d]["tables"], second[d]["tables"]
        assert row1["rows"] == expected[d][0] > 0
        assert row1["source_checksum"] == row1["target_checksum"] == row2["target_checksum"]
    assert landed == expected  # each partition landed exactly, value for value
    assert first["2026-10-26"]["from"] == "2026-10-23T21:30:00+00:00"  # Monday's partition holds the weekend
    assert _partition_figures(wh, "market.fills", bounds) == landed  # the re-run changed nothing
    with psycopg2.connect(wh) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM market.fills")
        assert cur.fetchone()[0] == sum(n for n, _ in expected.values())  # no duplicates, nothing outside the days
