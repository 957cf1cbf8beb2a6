"""Reconciliation during the dual run (dags/tributary/reconcile.py) against a real PostgreSQL and a real logical slot.

The follower is played by the test, keeping `tributary follow`'s contract: it confirms a position on the slot only
after the target committed every change before it (pg_replication_slot_advance after its target write). So a
lagging follower (a source change applied seconds later), a target that really differs, a follower that never
applies a change, and a follower that never confirms are each shown exactly.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tributary import reconcile

REPO = Path(__file__).resolve().parents[1]
MIGRATION = REPO / "java-workers/src/main/resources/io/tributary/ledger/migrations/reconcile/001-passes.sql"
SLOT = "tributary_recon_src"


@pytest.fixture
def live(scratch_db, psql):
    """A source table and its target (two schemas of one scratch database, two connections), the reconcile
    ledger from the worker's own migration, and a pgoutput slot confirmed up to now."""
    # No autovacuum on the pair: an autoanalyze is a transaction of this database, and one running during a pass
    # would (rightly) make the next pass compare rows again; the exact counts below need only the test's writes.
    psql('CREATE SCHEMA tributary; CREATE SCHEMA tgt;'
         ' CREATE TABLE public."Odd T" (id int PRIMARY KEY, v text, price numeric(10,2), at timestamptz)'
         ' WITH (autovacuum_enabled = false);'
         ' CREATE TABLE tgt."Odd T" (id int PRIMARY KEY, v text, price numeric(12,4), at timestamptz, extra int)'
         ' WITH (autovacuum_enabled = false);'
         " INSERT INTO public.\"Odd T\" SELECT g, 'v' || g, g / 4.0, '2026-01-01 00:00+02'::timestamptz + g * interval '1 h'"
         ' FROM generate_series(1, 200) g;'
         ' INSERT INTO tgt."Odd T" (id, v, price, at) SELECT id, v, price, at FROM public."Odd T";')
    psql(MIGRATION.read_text().replace("{s}", '"tributary"'))
    psql(f"SELECT pg_create_logical_replication_slot('{SLOT}', 'pgoutput')")
    src, tgt, ctl = (reconcile.connect(scratch_db) for _ in range(3))
    pair = reconcile.pair_of(src, tgt, 'public."Odd T"', 'tgt."Odd T"')
    yield {"src": src, "tgt": tgt, "ledger": reconcile.Ledger(ctl, "tributary"), "pair": pair, "psql": psql,
           "dsn": scratch_db}
    for c in (src, tgt, ctl):
        c.close()
    psql(f"SELECT pg_drop_replication_slot('{SLOT}')")  # a database with a slot cannot be dropped


def _confirm_up_to_now(psql) -> None:
    psql(f"SELECT pg_replication_slot_advance('{SLOT}', pg_current_wal_lsn())")


def _pass(live, **settings) -> dict:
    s = reconcile.Settings(schedule="@hourly", full_every=settings.pop("full_every", 100),
                           confirm_timeout=settings.pop("confirm_timeout", 20), confirm_rounds=3, max_changed_rows=1000)

    def full_pass(source, target, pair, limit):  # the first pass's whole-table diff: identical here
        return [], 200

    return reconcile.reconcile_table(live["src"], live["tgt"], live["ledger"], source="recon_src", target="recon_tgt",
                                     slot=SLOT, pair=live["pair"], s=s, full_pass=full_pass, **settings)


def _follower_later(psql, delay: float, apply_sql: str | None):
    """A follower `delay` seconds behind: applies (or fails to apply) the change, then confirms the position."""
    def run():
        time.sleep(delay)
        if apply_sql:
            psql(apply_sql)
        _confirm_up_to_now(psql)

    t = threading.Thread(target=run)
    t.start()
    return t


@pytest.mark.stack
def test_only_this_databases_running_transactions_hold_the_horizon_back(scratch_db, consolidated_uri):
    """A transaction left open in another database of the instance (another test, a report) cannot write this
    database's tables: the next pass's horizon passes it. One open in this database holds the horizon at its xid."""
    import psycopg2

    def open_transaction(uri):
        conn = psycopg2.connect(uri)
        with conn.cursor() as cur:
            cur.execute("SELECT txid_current()")  # the transaction now has an xid and stays open
            return conn, cur.fetchone()[0]

    conn = reconcile.connect(scratch_db)
    elsewhere, other_xid = open_transaction(consolidated_uri)
    later, _ = open_transaction(scratch_db)
    later.commit()  # a later xid has ended: the snapshot's xmax is past the open one (xip lists only those before)
    later.close()
    try:
        with reconcile.Snapshot(conn):
            assert reconcile.xid_horizon(conn) > other_xid
        here, own_xid = open_transaction(scratch_db)
        try:
            with reconcile.Snapshot(conn):
                assert reconcile.xid_horizon(conn) <= own_xid
        finally:
            here.close()
    finally:
        elsewhere.close()
        conn.close()


@pytest.mark.stack
def test_a_lagging_followers_transient_mismatch_is_not_reported_a_real_one_is(live):
    psql = live["psql"]
    _confirm_up_to_now(psql)
    first = _pass(live)
    assert first["mode"] == "full" and first["confirmed"] == 0

    # The source changes; the follower applies it 1.5 s later. The pass sees the difference at its first read and
    # must wait for the follower before deciding: transient, never reported.
    psql("UPDATE public.\"Odd T\" SET v = 'changed', price = 9.5 WHERE id = 5")
    follower = _follower_later(psql, 1.5, "UPDATE tgt.\"Odd T\" SET v = 'changed', price = 9.5000 WHERE id = 5")
    lagging = _pass(live)
    follower.join()
    assert lagging["mode"] == "changed" and lagging["rows_compared"] == 1
    assert (lagging["candidates"], lagging["transient"], lagging["confirmed"]) == (1, 1, 0)
    assert lagging["mismatch_rate"] == 0.0 and lagging["mismatches"] == []

    # Real differences: a row written on the target only, and a source insert the follower confirms but never
    # applied. Both stay different after the follower is past the read: confirmed, with their kind.
    psql("UPDATE tgt.\"Odd T\" SET v = 'wrong' WHERE id = 7; INSERT INTO public.\"Odd T\" VALUES (201, 'new', 1, now())")
    follower = _follower_later(psql, 0.5, None)
    real = _pass(live)
    follower.join()
    # compared: 7, 201 and 5 again (the follower applied it after the last pass read the target's horizon)
    assert real["mode"] == "changed" and real["rows_compared"] == 3 and real["candidates"] == 2
    assert real["confirmed"] == 2 and real["transient"] == 0 and real["mismatch_rate"] == 2 / 3
    assert real["mismatches"] == [{"key": {"id": "201"}, "kind": "missing_on_target"},
                                  {"key": {"id": "7"}, "kind": "different", "columns": ["v"]}]

    # Only rows changed since the last pass: nothing changed, nothing compared, nothing waits.
    quiet = _pass(live)
    assert (quiet["mode"], quiet["rows_compared"], quiet["candidates"]) == ("changed", 0, 0)

    with live["ledger"].conn.cursor() as cur:
        cur.execute("SELECT mode, rows_compared, transient, confirmed, mismatch_rate FROM tributary.reconcile_passes"
                    " ORDER BY pass_id")
        assert cur.fetchall() == [("full", 200, 0, 0, 0.0), ("changed", 1, 1, 0, 0.0), ("changed", 3, 0, 2, 2 / 3),
                                  ("changed", 0, 0, 0, 0.0)]


@pytest.mark.stack
def test_a_follower_that_never_confirms_leaves_the_difference_unsettled_not_reported(live):
    psql = live["psql"]
    _confirm_up_to_now(psql)
    _pass(live)
    psql("UPDATE public.\"Odd T\" SET v = 'not yet' WHERE id = 9")  # the follower is stopped: never applied
    stuck = _pass(live, confirm_timeout=1)
    assert (stuck["candidates"], stuck["confirmed"], stuck["unsettled"]) == (1, 0, 1)
    assert stuck["mismatch_rate"] == 0.0


@pytest.mark.stack
def test_equal_values_stored_differently_are_not_differences_and_every_nth_pass_is_full(live):
    """numeric(10,2) 2.50 against numeric(12,4) 2.5000, timestamptz rendered in UTC on both sides, the target's
    extra column ignored; full_every=2 makes every second pass a full one."""
    psql = live["psql"]
    _confirm_up_to_now(psql)
    assert live["pair"].columns == ("id", "v", "price", "at") and live["pair"].key == ("id",)
    _pass(live, full_every=2)
    psql("UPDATE public.\"Odd T\" SET price = 2.5 WHERE id = 10; UPDATE tgt.\"Odd T\" SET price = 2.5000, extra = 1"
         " WHERE id = 10")
    _confirm_up_to_now(psql)
    changed = _pass(live, full_every=2)
    assert (changed["mode"], changed["rows_compared"], changed["candidates"]) == ("changed", 1, 0)
    assert _pass(live, full_every=2)["mode"] == "full"


@pytest.mark.stack
def test_a_pass_pushes_its_mismatch_rate_to_the_pushgateway_the_alert_reads():
    import os
    import urllib.request

    from tributary import pushgateway

    gateway = os.environ.get("TRIBUTARY_PUSHGATEWAY")
    if not gateway:
        pytest.skip("TRIBUTARY_PUSHGATEWAY is not set")
    labels = {"job": "reconcile", "source": "src_probe", "table": 'public."a/b"'}
    reconcile.push("src_probe", {"table": 'public."a/b"', "mismatch_rate": 0.25, "confirmed": 1, "unsettled": 2,
                                 "rows_compared": 4})
    try:
        served = urllib.request.urlopen(f"http://{gateway}/metrics", timeout=10).read().decode()
        line = next(l for l in served.splitlines() if l.startswith("tributary_reconcile_mismatch_rate{")
                    and 'source="src_probe"' in l)
        assert 'table="public.\\"a/b\\""' in line and line.endswith(" 0.25")
        assert any(l.startswith("tributary_reconcile_unsettled_keys{") and 'source="src_probe"' in l
                   and l.endswith(" 2") for l in served.splitlines())
    finally:
        urllib.request.urlopen(urllib.request.Request(f"http://{gateway}{pushgateway._group_path(labels)}",
                                                      method="DELETE"), timeout=10)


@pytest.mark.stack
def test_the_cutover_precheck_refuses_a_source_whose_last_pass_confirmed_a_mismatch(scratch_db, psql, monkeypatch):
    from tributary import cutover

    psql('CREATE SCHEMA tributary;' + MIGRATION.read_text().replace("{s}", '"tributary"'))
    monkeypatch.setenv("AIRFLOW_CONN_RECON_CTL", scratch_db)
    s = cutover.Settings(consolidated="recon_ctl", control="recon_ctl", control_schema="tributary", pgbouncer="x",
                         databases_file="", max_lag_bytes=0, hold_days=0, entries={})

    def passed(table: str, confirmed: int) -> None:
        psql("INSERT INTO tributary.reconcile_passes (source, source_table, target_table, mode, source_xid_next,"
             " target_xid_next, rows_compared, candidates, transient, confirmed, unsettled, mismatch_rate) VALUES"
             f" ('src_x', '{table}', '{table}', 'changed', 1, 1, 10, {confirmed}, 0, {confirmed}, 0, {confirmed / 10})")

    assert cutover.reconciliation_clean(s, "src_x") == {"tables": 0, "last_pass": None}  # never reconciled: no veto
    passed("public.t", 2)
    passed("public.u", 0)
    with pytest.raises(cutover.PreCheckFailed, match=r"src_x: the last reconciliation pass confirmed mismatches in"
                                                     r" public.t \(2\)"):
        cutover.reconciliation_clean(s, "src_x")
    passed("public.t", 0)  # fixed, and a later pass is clean
    assert cutover.reconciliation_clean(s, "src_x")["tables"] == 2
