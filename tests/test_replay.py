"""The cutover pre-check's replay (dags/tributary/replay.py) against real PostgreSQL instances: a scratch database on a
source instance (pg_stat_statements preloaded there), its statements replayed on a scratch database of the
consolidated instance. The consolidated copy of the table has no primary key and more rows, so a lookup by id is
really slower there; writes hidden behind SELECT are refused by the READ ONLY transaction."""

from __future__ import annotations

import os
import re
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from tributary import replay


@pytest.fixture
def source_db():
    """A scratch database on the src_eu instance with pg_stat_statements (created by the stack's superuser)."""
    import psycopg2

    uri, admin = os.environ.get("TRIBUTARY_CONN_SRC_EU"), os.environ.get("PSQL_ADMIN_SRC_EU")
    if not uri or not admin:
        pytest.skip("the stack's src_eu instance is not set up")
    name = f"tributary_replay_{uuid.uuid4().hex[:10]}"
    owner = psycopg2.connect(uri)
    owner.autocommit = True
    with owner.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    su = psycopg2.connect(re.sub(r"dbname=\S+", f"dbname={name}", admin))
    su.autocommit = True
    with su.cursor() as cur:
        cur.execute("CREATE EXTENSION pg_stat_statements")
    su.close()
    try:
        yield urlunsplit(urlsplit(uri)._replace(path="/" + name))
    finally:
        with owner.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        owner.close()


def _run(uri: str, sql: str, times: int = 1) -> None:
    conn = replay_connect(uri)
    with conn.cursor() as cur:
        for _ in range(times):
            cur.execute(sql)
            if cur.description:
                cur.fetchall()
    conn.close()


def replay_connect(uri: str):
    import psycopg2

    conn = psycopg2.connect(uri)
    conn.autocommit = True
    return conn


def _settings(**over) -> replay.Settings:
    base = dict(enabled=True, top=10, runs=7, max_slowdown=2.0, min_latency_ms=0.5, on_slower="fail", timeout_ms=5000)
    return replay.Settings(**{**base, **over})


@pytest.mark.stack
def test_the_replay_compares_p50_p95_maps_renamed_schemas_and_refuses_writes(source_db, scratch_db):
    _run(source_db, "CREATE TABLE public.films (id int PRIMARY KEY, title text, rating int);"
                    " INSERT INTO public.films SELECT g, 'film ' || g, g % 5 FROM generate_series(1, 2000) g;"
                    " CREATE TABLE public.not_copied (id int); CREATE SEQUENCE public.tickets;"
                    " CREATE TABLE public.audit (at timestamptz);"
                    " CREATE FUNCTION public.bump() RETURNS int LANGUAGE sql AS"
                    " 'INSERT INTO public.audit VALUES (now()) RETURNING 1'; ANALYZE")
    # the consolidated copy: another schema, no primary key and 100x the rows, so a lookup by id scans
    _run(scratch_db, "CREATE SCHEMA src_x; CREATE TABLE src_x.films (id int, title text, rating int);"
                     " INSERT INTO src_x.films SELECT g % 2000 + 1, 'film ' || g, g % 5 FROM generate_series(1, 200000) g;"
                     " ANALYZE src_x.films")
    # the applications' workload on the source (pg_stat_statements normalises the constants to $n)
    for sql, times in [("SELECT title FROM films WHERE id = 5", 30), ("SELECT count(*) FROM public.films WHERE rating > 3", 12),
                       ("SELECT id, title FROM films ORDER BY id LIMIT 5", 9),
                       ("SELECT title FROM films WHERE id IN (1, 2, 3)", 3), ("SELECT nextval('tickets')", 8),
                       ("SELECT bump(), title FROM films WHERE id = 3", 7), ("UPDATE films SET rating = 1 WHERE id = 1", 6),
                       ("SELECT relname FROM pg_class WHERE relname = 'films'", 5), ("SELECT * FROM not_copied", 4)]:
        _run(source_db, sql, times)

    src, cons = replay_connect(source_db), replay_connect(scratch_db)
    try:
        result = replay.compare(src, cons, {"public.films": "src_x.films"}, _settings())
    finally:
        src.close()
        cons.close()

    by_query = {r["query"]: r for r in result["statements"]}
    lookup = by_query["SELECT title FROM films WHERE id = $1"]
    assert lookup["calls"] == 30 and lookup["parameters"] == ["$1 sampled from id (7 values)"]
    assert lookup["source"]["runs"] == 7 and lookup["consolidated"]["runs"] == 7
    assert lookup["slower"] is True and lookup["slowdown_p50"] > 2  # a scan of 200,000 rows against an index
    assert "$1 (LIMIT) replayed as 10" in by_query["SELECT id, title FROM films ORDER BY id LIMIT $1"]["parameters"]
    assert "SELECT count(*) FROM public.films WHERE rating > $1" in by_query  # public.films -> "src_x".films
    assert by_query["SELECT title FROM films WHERE id IN ($1, $2, $3)"]["parameters"] == [
        f"${n} sampled from id (7 values)" for n in (1, 2, 3)]
    assert result["verdict"] == "slower"

    skipped = {r["query"]: r["reason"] for r in result["skipped"]}
    assert skipped["SELECT nextval($1)"] == "calls a function with effects outside the transaction"
    # a write hidden in a function over a migrated table: PostgreSQL's READ ONLY transaction refuses it
    assert skipped["SELECT bump(), title FROM films WHERE id = $1"].startswith(
        "refused or failed on the source: cannot execute INSERT in a read-only transaction")
    assert "not copied there" in skipped["SELECT * FROM not_copied"]
    assert skipped["SELECT relname FROM pg_class WHERE relname = $1"].startswith("reads the catalog")
    assert not any(q.startswith("UPDATE") for q in skipped) and not any(q.startswith("UPDATE") for q in by_query)

    # nothing was written: the function's INSERT was refused, the sequence never moved
    check = replay_connect(source_db)
    with check.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM audit), (SELECT last_value FROM tickets)")
        assert cur.fetchone() == (7, 8)  # the workload's own 7 bumps and 8 nextvals, none from the replay
    check.close()

    slower = sum(r["slower"] for r in result["statements"])
    assert replay.summary_line("src_x", result).startswith(f"src_x: 4 read-only statements replayed, {slower} slower")


@pytest.mark.stack
def test_a_source_without_pg_stat_statements_is_a_clear_skip_not_a_crash(scratch_db):
    src, cons = replay_connect(scratch_db), replay_connect(scratch_db)  # the consolidated instance has no extension
    try:
        result = replay.compare(src, cons, {}, _settings())
    finally:
        src.close()
        cons.close()
    assert result["verdict"] == "skipped" and result["statements"] == []
    assert result["note"].startswith("pg_stat_statements is not installed in this database: a superuser runs CREATE"
                                     " EXTENSION pg_stat_statements")
