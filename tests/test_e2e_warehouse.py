"""The warehouse DAG for real. `make test`: one `airflow dags test tributary_warehouse` of a trading day
(stage -> load -> verify -> GX) against scratch databases. The e2e tier: REAL Airflow, a scheduler and an
api-server for a throwaway AIRFLOW_HOME (one session shared by both backfill tests), and
`airflow backfill create` over past trading days (the custom timetable decides which runs exist and what
each one loads)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import airflow_run
from airflow_run import AirflowServices, airflow_env, scratch_databases, template_database

pytestmark = [pytest.mark.stack]

DAG_ID = "tributary_warehouse"

# every 7 minutes from Thu 22 Oct (after Friday's interval opened) to Sat 31 Oct 2026:
# weekend rows belong to Monday, the rows after Thursday's close to no backfilled day
FILLS = ("CREATE SCHEMA market; CREATE TABLE market.fills (exec_id text, symbol text NOT NULL, "
         "ts timestamptz NOT NULL, price numeric(18,6) NOT NULL, qty numeric(18,4) NOT NULL, "
         "PRIMARY KEY (exec_id, ts));"
         "INSERT INTO market.fills SELECT 'x' || g, (ARRAY['AAPL','MSFT','BTC-USD'])[1 + g % 3], "
         "timestamptz '2026-10-22 22:00+00' + g * interval '7 min', 100 + (g % 997) / 1000.0, 1 + g % 50 "
         "FROM generate_series(0, 9 * 24 * 60 / 7) g;")


def _results(env) -> dict[str, dict]:
    folder = Path(env["TRIBUTARY_STATE"]) / "reports" / "warehouse"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


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


def _fills_databases(admin_uri: str, prefix: str):
    """A source holding market.fills (a copy of one template: loaded once) and an empty warehouse stand-in,
    both on the consolidated instance, where we may CREATEDB."""
    source = template_database(admin_uri, FILLS)
    return scratch_databases(admin_uri, f"{prefix}_src", template=source), scratch_databases(admin_uri, f"{prefix}_wh")


SCHEDULE = {"exchange": "XNYS", "timezone": "America/New_York", "window": {"after_close": "17:30", "before_open": "08:00"}}


def _config(folder: Path) -> Path:
    cfg = folder / "migration.yaml"
    cfg.write_text(
        "version: 1\ncontrol: {connection: e2e_wh}\nsources: [{id: e2e_src}]\n"
        "targets:\n  consolidated: {connection: e2e_wh}\n"
        "  warehouse:\n    connection: e2e_wh\n    dialect: postgres\n    schema: market\n"
        "    staging_connection: s3\n    staging_bucket: tributary-staging\n"
        f"    staging_prefix: e2e-{folder.name}\n"
        "    tables: [{source: e2e_src, table: market.fills, key: [exec_id, ts], partition_column: ts}]\n"
        f"warehouse: {json.dumps(SCHEDULE)}\n"
    )
    return cfg


@pytest.mark.worker
def test_a_trading_day_run_stages_loads_and_verifies_its_partition(tmp_path, consolidated_uri):
    """`airflow dags test` at the window opening of Tue 27 Oct 2026 loads exactly that trading day (Monday
    17:30 to Tuesday 17:30 New York): stage -> load -> verify -> GX, value for value, nothing else."""
    import datetime as dt
    from urllib.parse import urlsplit

    import psycopg2

    from tributary.timetable import LowTradingWindowTimetable

    source, warehouse = _fills_databases(consolidated_uri, f"tributary_wh_day_{os.getpid()}")
    with source as (src,), warehouse as (wh,):
        env = airflow_env(tmp_path, TRIBUTARY_CONFIG=str(_config(tmp_path)), AIRFLOW_CONN_E2E_SRC=src,
                          AIRFLOW_CONN_E2E_WH=wh)
        logical_date = LowTradingWindowTimetable.from_config(SCHEDULE).window_open(dt.date(2026, 10, 27))
        rc, log = airflow_run.dags_test(DAG_ID, env, tmp_path, logical_date.isoformat())
        assert rc == 0, f"warehouse DAG failed, see {log}"

        result = _results(env)["2026-10-27"]
        assert (result["from"], result["to"]) == ("2026-10-26T21:30:00+00:00", "2026-10-27T21:30:00+00:00")
        assert result["all_verified"] is True
        (row,) = result["tables"]
        bounds = {"2026-10-27": (result["from"], result["to"])}
        expected = _partition_figures(src, "market.fills", bounds)
        assert row["rows"] == expected["2026-10-27"][0] > 0
        assert row["source_checksum"] == row["target_checksum"]
        assert _partition_figures(wh, "market.fills", bounds) == expected  # landed exactly, value for value
        with psycopg2.connect(wh) as c, c.cursor() as cur:
            cur.execute("SELECT count(*) FROM market.fills")
            assert cur.fetchone()[0] == expected["2026-10-27"][0]  # nothing outside the day
        assert urlsplit(src).password not in Path(log).read_text()  # secrets never reach the task logs


@pytest.fixture(scope="module")
def airflow_services(tmp_path_factory):
    """ONE scheduler + api-server for both backfill tests, over a source with market.fills and a warehouse
    stand-in; Airflow's metadata in a scratch PostgreSQL database (scheduler, api-server and the CLI write
    concurrently, which SQLite answers with "database is locked"). The tests backfill different weeks."""
    tmp = tmp_path_factory.mktemp("warehouse-services")
    admin = os.environ["TRIBUTARY_CONN_CONSOLIDATED"]
    source, warehouse = _fills_databases(admin, f"tributary_wh_e2e_{os.getpid()}")
    metadata = scratch_databases(admin, f"tributary_airflow_e2e_{os.getpid()}", scheme="postgresql+psycopg2")
    with source as (src,), warehouse as (wh,), metadata as (metadata_uri,):
        env = airflow_env(tmp, TRIBUTARY_CONFIG=str(_config(tmp)), AIRFLOW_CONN_E2E_SRC=src, AIRFLOW_CONN_E2E_WH=wh,
                          AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_uri)
        with AirflowServices(env, tmp) as airflow:
            yield airflow, env, src, wh


@pytest.mark.e2e
def test_backfill_creates_one_run_per_trading_day_with_its_partition(airflow_services):
    """Tue 13 - Thu 15 Oct 2026 plus Fri 16 and the weekend: the weekend is no trading day, so no run."""
    airflow, env, _, _ = airflow_services
    runs = airflow.backfill(DAG_ID, "2026-10-13", "2026-10-18", conf={"dry_run": True})
    backfill_runs = sorted(r["run_id"] for r in runs if r["run_id"].startswith("backfill__"))
    assert [r.split("__")[1][:10] for r in backfill_runs] == ["2026-10-13", "2026-10-14", "2026-10-15", "2026-10-16"]
    assert all(r["state"] == "success" for r in runs if r["run_id"] in backfill_runs), runs

    results = _results(env)
    assert set(results) >= {"2026-10-13", "2026-10-14", "2026-10-15", "2026-10-16"}
    # Each run's partition is its trading day: previous 17:30 New York (EDT) to this day's 17:30.
    assert results["2026-10-13"]["from"] == "2026-10-12T21:30:00+00:00"
    assert results["2026-10-13"]["to"] == "2026-10-13T21:30:00+00:00"
    assert results["2026-10-16"]["to"] == "2026-10-16T21:30:00+00:00"
    for day in ("2026-10-13", "2026-10-16"):
        tables = results[day]["tables"]
        assert tables and {t["verified"] for t in tables} == {"dry-run"}  # a dry run moves nothing
        assert results[day]["run_id"].startswith(f"backfill__{day}")


@pytest.mark.e2e
@pytest.mark.worker
def test_warehouse_backfill_is_idempotent(airflow_services):
    """Backfill a past week for real (Fri 23 - Thu 29 Oct 2026: five trading days across a weekend, whose rows
    fold into Monday's partition; stage -> load -> verify -> GX), twice: same rows, same checksums."""
    import psycopg2

    airflow, env, src, wh = airflow_services
    days = ("2026-10-23", "2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29")
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
