"""tributary_cutover and tributary_rollback: import cleanly, promised shape and Params; the rollback stream's config."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tributary import config, cutover

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS), include_examples=False)


@pytest.mark.parametrize("dag_id, drop", [("tributary_cutover", "drop_forward_slot"),
                                          ("tributary_rollback", "drop_reverse_slot")])
def test_cutover_and_rollback_freeze_in_one_task_after_prechecks(dagbag, dag_id, drop):
    assert dagbag.import_errors == {}
    dag = dagbag.dags[dag_id]
    up = {t.task_id: set(t.upstream_task_ids) for t in dag.tasks}
    assert set(up) == {"select_sources", "precheck", "freeze_and_switch", drop, "refresh_views", "outcome", "report"}
    assert "precheck" in up["freeze_and_switch"]  # a failed pre-check never reaches the freeze
    assert "freeze_and_switch" in up[drop] and drop in up["outcome"]
    assert "freeze_and_switch" in up["refresh_views"] and "refresh_views" in up["outcome"]  # after RESUME
    params = dag.params.dump() if hasattr(dag.params, "dump") else dict(dag.params)
    assert params == {"sources": "", "dry_run": False}
    assert dag.schedule is None and dag.max_active_runs == 1
    assert all(t.retries == 0 for t in dag.tasks)  # a freeze is retried by a person, not a timer
    # thin: declarations only
    assert len((DAGS / f"{dag_id}.py").read_text().splitlines()) < 60


def test_every_source_has_a_pgbouncer_database():
    settings = cutover.Settings.of(config.load())
    assert settings.entries == {"src_eu": "src_eu", "src_us": "src_us", "src_pagila": "src_pagila"}
    assert settings.pgbouncer == "pgbouncer" and settings.max_lag_bytes == 16 * 1024 * 1024


@pytest.mark.worker
def test_the_rollback_streams_config_is_valid_and_reverses_the_roles(tmp_path):
    settings = cutover.Settings.of(config.load())
    stream = cutover.reverse_stream(settings, "src_pagila", {"public.film": "public.film",
                                                            'public."Odd.Name"': 'src_pagila."Odd.Name"'}, str(tmp_path))
    assert (stream.source, stream.target, stream.slot) == ("consolidated", "src_pagila", "tributary_back_src_pagila")
    assert stream.tables == {"public.film": "public.film", 'src_pagila."Odd.Name"': 'public."Odd.Name"'}
    out = subprocess.run([str(REPO / "bin" / "tributary"), "validate-config", "--config", stream.config_file],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # the follower records its position in its target's transaction: control connection = the source
    assert result["control"] == {"connection": "src_pagila", "schema": "tributary_rollback"}
    assert result["source_ids"] == ["consolidated"] and result["consolidated"] == "src_pagila"


def test_decommission_runs_daily(dagbag):
    dag = dagbag.dags["tributary_decommission"]
    assert [t.task_id for t in dag.tasks] == ["decommission", "report"]
    assert dag.catchup is False


@pytest.mark.stack
@pytest.mark.worker
def test_a_source_cut_over_longer_than_the_hold_is_decommissioned(consolidated_uri, scratch_db, psql, tmp_path):
    import psycopg2

    # A worker run that writes to the control schema brings it up to date (status only reads): a copy of a scratch
    # table into the consolidated instance; its ledger row is removed below.
    psql("CREATE TABLE public.lifecycle_probe (id int PRIMARY KEY); INSERT INTO public.lifecycle_probe VALUES (1)")
    cfg = tmp_path / "migration.yaml"
    cfg.write_text("version: 1\ncontrol: {connection: consolidated}\nsources: [{id: lifecycle_probe}]\n"
                   "targets: {consolidated: {connection: consolidated}}\n")
    copied = subprocess.run([str(REPO / "bin" / "tributary"), "copy", "--config", str(cfg), "--source", "lifecycle_probe",
                             "--table", "public.lifecycle_probe", "--target-table", "tributary_probe.lifecycle_probe"],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TRIBUTARY_CONN_LIFECYCLE_PROBE": scratch_db})
    assert copied.returncode == 0, copied.stderr[-2000:]
    conn = psycopg2.connect(consolidated_uri)
    conn.autocommit = True
    rows = {"src_test_old": 20, "src_test_recent": 1}  # days since the cutover; the demo's hold is 14
    try:
        with conn.cursor() as cur:
            for source, days in rows.items():
                cur.execute("INSERT INTO tributary.source_lifecycle (source, state, serving, switched_at)"
                            " VALUES (%s, 'cut-over', 'consolidated', now() - make_interval(days => %s))"
                            " ON CONFLICT (source) DO UPDATE SET state = 'cut-over', switched_at = EXCLUDED.switched_at",
                            (source, days))
            marked = cutover.decommission()
            assert "src_test_old" in marked and "src_test_recent" not in marked
            cur.execute("SELECT source, state, decommissioned_at IS NOT NULL FROM tributary.source_lifecycle"
                        " WHERE source LIKE 'src_test_%' ORDER BY source")
            assert cur.fetchall() == [("src_test_old", "decommissioned", True), ("src_test_recent", "cut-over", False)]
            assert cutover.decommission() == []  # once
    finally:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM tributary.source_lifecycle WHERE source LIKE 'src_test_%'")
            cur.execute("DELETE FROM tributary.table_status WHERE source = 'lifecycle_probe'")
            cur.execute("DROP SCHEMA IF EXISTS tributary_probe CASCADE")
        conn.close()


@pytest.mark.stack
def test_a_table_merged_from_several_sources_is_refused_before_anything_changes(scratch_db, psql):
    """The reverse stream cannot route a merged table's changes back by origin yet: the pre-check says so."""
    import psycopg2

    from tributary import cutover

    psql("CREATE SCHEMA tributary; CREATE TABLE tributary.key_offsets (target text, target_table text, source text,"
         " source_table text); INSERT INTO tributary.key_offsets VALUES"
         " ('consolidated', 'public.users', 'src_eu', 'public.users'),"
         " ('consolidated', 'public.users', 'src_us', 'public.users')")
    s = cutover.Settings(consolidated="consolidated", control="consolidated", control_schema="tributary",
                         pgbouncer="pgbouncer", databases_file="", max_lag_bytes=0, hold_days=0, entries={})
    conn = psycopg2.connect(scratch_db)
    try:
        cutover._refuse_merged(conn, s, "src_eu", {"public.fills": "public.fills"})  # its own table: fine
        with pytest.raises(cutover.PreCheckFailed, match="public.users merged from several sources"):
            cutover._refuse_merged(conn, s, "src_eu", {"public.users": "public.users"})
    finally:
        conn.close()


@pytest.mark.stack
def test_the_serving_sides_materialized_views_over_the_followed_tables_are_refreshed_in_dependency_order(
        scratch_db, psql):
    """Logical decoding streams rows, never a REFRESH: after the switch each populated materialized view reading a
    followed table (directly, through a view, or through another such view) is refreshed, shallowest first,
    CONCURRENTLY when it has a plain unique index. Unpopulated views and views over other tables are left alone."""
    import psycopg2

    from tributary import cutover

    psql('CREATE SCHEMA "Odd S"; CREATE TABLE "Odd S"."Fills T" (id int PRIMARY KEY, qty int);'
         ' CREATE TABLE public.other (id int); INSERT INTO public.other VALUES (1);'
         ' INSERT INTO "Odd S"."Fills T" VALUES (1, 10), (2, 20);'
         ' CREATE VIEW public.big_fills AS SELECT * FROM "Odd S"."Fills T" WHERE qty > 5;'
         ' CREATE MATERIALIZED VIEW public."Totals" AS SELECT count(*) AS n, sum(qty) AS qty FROM "Odd S"."Fills T";'
         ' CREATE UNIQUE INDEX ON public."Totals" (n);'
         ' CREATE MATERIALIZED VIEW public.via_view AS SELECT count(*) AS n FROM public.big_fills;'
         ' CREATE MATERIALIZED VIEW public.over_totals AS SELECT n * 2 AS twice FROM public."Totals";'
         ' CREATE MATERIALIZED VIEW public.never_filled AS SELECT id FROM "Odd S"."Fills T" WITH NO DATA;'
         ' CREATE MATERIALIZED VIEW public.unrelated AS SELECT count(*) AS n FROM public.other;'
         ' INSERT INTO "Odd S"."Fills T" VALUES (3, 30); INSERT INTO public.other VALUES (2);')
    conn = psycopg2.connect(scratch_db)
    conn.autocommit = True
    try:
        refreshed = cutover.refresh_materialized_views(conn, ["Odd S.Fills T"])
        assert [(r["view"], r["concurrently"]) for r in refreshed] == [
            ('public."Totals"', True), ("public.over_totals", False), ("public.via_view", False)]
        with conn.cursor() as cur:
            cur.execute('SELECT (SELECT n || \'/\' || qty FROM public."Totals"), (SELECT twice FROM public.over_totals),'
                        " (SELECT n FROM public.via_view), (SELECT n FROM public.unrelated),"
                        " (SELECT relispopulated FROM pg_class WHERE oid = 'public.never_filled'::regclass)")
            assert cur.fetchone() == ("3/60", 6, 3, 1, False)
        # a view populated on the side being left is filled here too (a schema restored without data has none)
        filled = cutover.refresh_materialized_views(conn, ["Odd S.Fills T"], also=["public.never_filled"])
        assert ("public.never_filled", False) in [(r["view"], r["concurrently"]) for r in filled]
        with conn.cursor() as cur:
            cur.execute("SELECT relispopulated FROM pg_class WHERE oid = 'public.never_filled'::regclass")
            assert cur.fetchone() == (True,)
    finally:
        conn.close()
