"""End to end, phase 5: a write load through PgBouncer on src_pagila during the copy and the follow's set-up
(`airflow dags test tributary_follow`, run twice: the second only catches up), the cutover
(`airflow dags test tributary_cutover`) and the rollback (`airflow dags test tributary_rollback`).

The load's clients connect only through PgBouncer and record every write the database acknowledged (COMMIT
returned). Afterwards this test's own SQL (not the project's checksum) finds every acknowledged write exactly once
in the source (which serves again after the rollback) and, for those made before the rollback, in the consolidated
database; the counters each client incremented equal its acknowledged increments (an update applied twice or lost
would show); no client saw an error (during a freeze they only wait). The freezes are printed.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

import airflow_run
from airflow_run import airflow_env

pytestmark = [pytest.mark.stack, pytest.mark.worker, pytest.mark.e2e]

SOURCE = "src_pagila"
TABLES = ("public.cutover_load", "public.cutover_counters")
CLIENTS = 3


def _connect(uri: str, autocommit: bool = True):
    import psycopg2

    conn = psycopg2.connect(uri, connect_timeout=10)
    conn.autocommit = autocommit
    return conn


def _sql(uri: str, *statements: str) -> list:
    conn = _connect(uri)
    try:
        rows = []
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
                rows = cur.fetchall() if cur.description else []
        return rows
    finally:
        conn.close()


def _reset(source_uri: str, cons_uri: str) -> None:
    """Leftovers of an earlier run: slots, publications, the tables, their control-schema rows, the switch."""
    for uri, slot in ((source_uri, f"tributary_{SOURCE}"), (cons_uri, f"tributary_back_{SOURCE}")):
        _sql(uri, f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{slot}'",
             f"DROP PUBLICATION IF EXISTS {slot}")
    for uri in (source_uri, cons_uri):
        _sql(uri, "DROP TABLE IF EXISTS public.cutover_load, public.cutover_counters")
    _sql(source_uri, "DROP SCHEMA IF EXISTS tributary_rollback CASCADE")
    if _sql(cons_uri, "SELECT to_regclass('tributary.follow_slots') IS NOT NULL")[0][0]:
        _sql(cons_uri,
             f"DELETE FROM tributary.follow_slots WHERE source = '{SOURCE}'",
             f"DELETE FROM tributary.follow_progress WHERE source = '{SOURCE}'",
             f"DELETE FROM tributary.table_status WHERE source = '{SOURCE}' AND source_table LIKE 'public.cutover_%'")
    if _sql(cons_uri, "SELECT to_regclass('tributary.source_lifecycle') IS NOT NULL")[0][0]:
        _sql(cons_uri, f"DELETE FROM tributary.source_lifecycle WHERE source = '{SOURCE}'")
    # PgBouncer back to the source, as scripts/stack.sh first wrote it
    databases = Path(os.environ["TRIBUTARY_PGBOUNCER_DATABASES"])
    port = _sql(source_uri, "SHOW port")[0][0]
    lines = [f"{SOURCE} = host=127.0.0.1 port={port} dbname=pagila" if line.startswith(f"{SOURCE} =") else line
             for line in databases.read_text().splitlines()]
    databases.write_text("\n".join(lines) + "\n")
    console = _connect(os.environ["TRIBUTARY_CONN_PGBOUNCER"])
    with console.cursor() as cur:
        cur.execute("RELOAD")
        cur.execute("SHOW DATABASES")
    console.close()
    if _paused(SOURCE):
        console = _connect(os.environ["TRIBUTARY_CONN_PGBOUNCER"])
        console.cursor().execute(f"RESUME {SOURCE}")
        console.close()


def _paused(database: str) -> int:
    console = _connect(os.environ["TRIBUTARY_CONN_PGBOUNCER"])
    try:
        with console.cursor() as cur:
            cur.execute("SHOW DATABASES")
            cols = [d[0] for d in cur.description]
            return next(dict(zip(cols, r))["paused"] for r in cur.fetchall() if r[0] == database)
    finally:
        console.close()


class Load:
    """CLIENTS threads writing through PgBouncer: one transaction = an insert + its client's counter + 1."""

    def __init__(self, uri: str):
        self.uri = uri
        self.acked: list[tuple[int, int, float]] = []  # (client, n, when acknowledged)
        self.errors: list[str] = []
        self.waits: list[float] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client, args=(c,), daemon=True) for c in range(CLIENTS)]

    def _client(self, client: int) -> None:
        try:
            conn = _connect(self.uri, autocommit=False)
        except Exception as exc:
            self.errors.append(f"client {client} connect: {exc}")
            return
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO public.cutover_load (client, n) VALUES (%s, %s)", (client, n))
                    cur.execute("UPDATE public.cutover_counters SET total = total + 1 WHERE client = %s", (client,))
                conn.commit()
            except Exception as exc:
                self.errors.append(f"client {client} write {n}: {type(exc).__name__}: {exc}")
                return
            with self.lock:
                self.acked.append((client, n, time.time()))
                self.waits.append(time.monotonic() - started)
            time.sleep(0.02)
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=180)


def test_cutover_and_rollback_lose_no_acknowledged_write(tmp_path):
    source_uri = os.environ["TRIBUTARY_CONN_SRC_PAGILA"]
    cons_uri = os.environ["TRIBUTARY_CONN_CONSOLIDATED"]
    app_uri = os.environ["APP_CONN_SRC_PAGILA"]  # through PgBouncer
    _reset(source_uri, cons_uri)
    _sql(source_uri,
         "CREATE TABLE public.cutover_load (id bigserial PRIMARY KEY, client int NOT NULL, n int NOT NULL,"
         " note text NOT NULL DEFAULT repeat('x', 40), written_at timestamptz NOT NULL DEFAULT clock_timestamp())",
         "CREATE TABLE public.cutover_counters (client int PRIMARY KEY, total bigint NOT NULL)",
         f"INSERT INTO public.cutover_counters SELECT c, 0 FROM generate_series(0, {CLIENTS - 1}) c")
    airflow = airflow_env(tmp_path)
    env_conf = {"sources": SOURCE}

    with Load(app_uri) as load:
        time.sleep(2)
        # the follow's set-up through Airflow, while the load runs: --prepare holds the slot's snapshot, both tables
        # are created and copied in it, the snapshot is released, post-data, a catch-up pass (tributary_follow)
        follow_conf = {"sources": SOURCE, "tables": ",".join(TABLES)}
        rc, log = airflow_run.dags_test("tributary_follow", airflow, tmp_path, "-c", json.dumps(follow_conf))
        assert rc == 0, Path(log).read_text()[-8000:]
        slots = _sql(cons_uri, "SELECT state, consistent_lsn::text, tables FROM tributary.follow_slots"
                               " WHERE source = 'src_pagila' AND slot_name = 'tributary_src_pagila'")
        assert slots and slots[0][0] == "released", slots
        assert sorted(slots[0][2]) == sorted(TABLES)
        assert re.search(r'"snapshot": "[0-9A-F]+-[0-9A-F]+-[0-9]+"', Path(log).read_text()), \
            "follow --prepare never held a snapshot"
        assert '"status": "caught-up"' in Path(log).read_text()
        copied = _sql(cons_uri, "SELECT source_table, status, source_checksum = target_checksum FROM tributary.table_status"
                                " WHERE source = 'src_pagila' AND source_table LIKE 'public.cutover_%' ORDER BY 1")
        assert copied == [(t, "copied", True) for t in sorted(TABLES)], copied
        # run again: the follow is set up already, so nothing is copied again, only caught up
        rc, log = airflow_run.dags_test("tributary_follow", airflow, tmp_path, "-c", json.dumps(follow_conf))
        assert rc == 0, Path(log).read_text()[-8000:]
        assert '"set_up": "earlier"' in Path(log).read_text()
        assert _sql(cons_uri, "SELECT state, consistent_lsn::text FROM tributary.follow_slots WHERE source = 'src_pagila'"
                              " AND slot_name = 'tributary_src_pagila'") == [("released", slots[0][1])]
        time.sleep(2)

        # a failed pre-check changes nothing: src_eu has no follower
        entries = Path(os.environ["TRIBUTARY_PGBOUNCER_DATABASES"]).read_text()
        rc, log = airflow_run.dags_test("tributary_cutover", airflow, tmp_path, "-c", json.dumps({"sources": "src_eu"}))
        assert rc != 0 and "pre-check failed, nothing changed" in Path(log).read_text()
        assert Path(os.environ["TRIBUTARY_PGBOUNCER_DATABASES"]).read_text() == entries
        assert _sql(cons_uri, "SELECT count(*) FROM tributary.cutover_switches WHERE 'src_eu' = ANY(sources)") == [(0,)]

        # a failure after PAUSE (the target diverged: verification fails) resumes toward the source, unswitched
        _sql(cons_uri, "UPDATE public.cutover_load SET note = 'diverged' WHERE id = (SELECT min(id) FROM public.cutover_load)")
        rc, log = airflow_run.dags_test("tributary_cutover", airflow, tmp_path, "-c", json.dumps(env_conf))
        assert rc != 0 and "differ after the drain" in Path(log).read_text()
        assert Path(os.environ["TRIBUTARY_PGBOUNCER_DATABASES"]).read_text() == entries
        assert _paused(SOURCE) == 0
        assert _sql(cons_uri, "SELECT status FROM tributary.cutover_switches WHERE 'src_pagila' = ANY(sources)"
                              " ORDER BY switch_id DESC LIMIT 1") == [("resumed-unswitched",)]
        assert load.errors == [], load.errors
        # repaired, the same DAG runs again from the start
        _sql(cons_uri, "UPDATE public.cutover_load SET note = repeat('x', 40) WHERE note = 'diverged'")

        rc, log = airflow_run.dags_test("tributary_cutover", airflow, tmp_path, "-c", json.dumps(env_conf))
        assert rc == 0, Path(log).read_text()[-8000:]
        cut_at = time.time()
        assert _paused(SOURCE) == 0
        assert f"port={_sql(cons_uri, 'SHOW port')[0][0]} dbname=consolidated" in Path(
            os.environ["TRIBUTARY_PGBOUNCER_DATABASES"]).read_text()
        time.sleep(4)  # writes now go to the consolidated database
        assert _sql(cons_uri, "SELECT state FROM tributary.source_lifecycle WHERE source = 'src_pagila'") == [("cut-over",)]
        rc, log = airflow_run.dags_test("tributary_rollback", airflow, tmp_path, "-c", json.dumps(env_conf))
        assert rc == 0, Path(log).read_text()[-8000:]
        rolled_at = time.time()
        time.sleep(2)
        # run again, the rollback is a no-op: nothing switched, nothing recorded, the clients keep writing
        entries = Path(os.environ["TRIBUTARY_PGBOUNCER_DATABASES"]).read_text()
        rc, log = airflow_run.dags_test("tributary_rollback", airflow, tmp_path, "-c", json.dumps(env_conf))
        assert rc == 0, Path(log).read_text()[-8000:]
        assert "nothing to rollback" in Path(log).read_text()
        assert Path(os.environ["TRIBUTARY_PGBOUNCER_DATABASES"]).read_text() == entries

    assert load.errors == [], load.errors
    acked = {(c, n) for c, n, _ in load.acked}
    assert len(acked) == len(load.acked)
    during_cutover = [a for a in load.acked if cut_at < a[2] < rolled_at]
    assert during_cutover, "no write was acknowledged while the consolidated database served"

    # every acknowledged write exactly once in the source, and nothing else
    rows = _sql(source_uri, "SELECT client, n, count(*) FROM public.cutover_load GROUP BY client, n")
    assert {(c, n) for c, n, _ in rows} == acked
    assert all(k == 1 for _, _, k in rows), [r for r in rows if r[2] != 1][:10]
    increments = {c: sum(1 for a in load.acked if a[0] == c) for c in range(CLIENTS)}
    assert dict(_sql(source_uri, "SELECT client, total FROM public.cutover_counters")) == increments
    # the consolidated database has every write acknowledged before the rollback began, exactly once
    rows = _sql(cons_uri, "SELECT client, n, count(*) FROM public.cutover_load GROUP BY client, n")
    assert all(k == 1 for _, _, k in rows)
    before_rollback = {(c, n) for c, n, at in load.acked if at < cut_at}
    assert before_rollback <= {(c, n) for c, n, _ in rows}

    # slots and publications are gone on both sides
    assert _sql(source_uri, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tributary_%'") == []
    assert _sql(cons_uri, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'tributary_back_%'") == []

    switches = _sql(cons_uri, "SELECT direction, status, freeze_seconds, steps::text FROM tributary.cutover_switches"
                              " WHERE 'src_pagila' = ANY(sources) ORDER BY switch_id DESC LIMIT 2")
    assert [(d, s) for d, s, _, _ in switches] == [("rollback", "switched"), ("cutover", "switched")]
    print(f"\n{len(load.acked)} acknowledged writes by {CLIENTS} clients, {len(during_cutover)} while the consolidated"
          f" database served; longest client wait {max(load.waits):.3f} s")
    for direction, _, freeze, steps in reversed(switches):
        print(f"{direction}: write freeze (PAUSE to RESUME) {freeze:.3f} s; steps {steps}")
