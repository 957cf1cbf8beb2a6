"""The GX gate against a real table on the consolidated PostgreSQL (scratch database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from tributary import gate

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    # GX's working copy goes to a temp state folder: the test never touches .stack/gx or the repo.
    monkeypatch.setenv("TRIBUTARY_STATE", str(tmp_path / "state"))
    return tmp_path / "state"


def _users(psql, rows_sql: str):
    psql("CREATE SCHEMA app; CREATE TABLE app.users (id bigint, region text, email text)")
    psql(f"INSERT INTO app.users VALUES {rows_sql}")


def test_gate_passes_on_a_clean_table(scratch_db, psql, isolated_state):
    _users(psql, "(1,'eu','a@x'),(2,'eu','b@x'),(3,'us','c@x')")
    out = gate.check(connection_uri=scratch_db, table="app.users", key=["id"], expected_rows=3)
    assert out["success"] is True and out["failures"] == []
    assert out["statistics"]["evaluated_expectations"] == 3  # row count + not null + unique
    assert Path(out["data_docs"]).is_file() and str(isolated_state) in out["data_docs"]


def test_gate_fails_on_null_key_and_names_the_reason(scratch_db, psql):
    _users(psql, "(1,'eu','a@x'),(NULL,'eu','b@x'),(3,'us','c@x')")
    with pytest.raises(AirflowFailException) as err:
        gate.check(connection_uri=scratch_db, table="app.users", key=["id"], expected_rows=3)
    msg = str(err.value)
    assert "app.users" in msg and "expect_column_values_to_not_be_null(id)" in msg
    assert "1 unexpected" in msg and "data docs:" in msg
    assert "row_count" not in msg  # the row count was right


def test_gate_fails_on_row_count_and_compound_duplicate(scratch_db, psql):
    _users(psql, "(1,'eu','a@x'),(1,'eu','b@x'),(1,'us','c@x')")
    res = gate.run_gate(connection_uri=scratch_db, table="app.users", key=["id", "region"], expected_rows=4)
    assert not res.success
    kinds = " ".join(res.failures)
    assert "expect_table_row_count_to_equal: observed 3, expected 4" in kinds
    assert "expect_compound_columns_to_be_unique(id,region)" in kinds


def test_gate_keeps_the_password_out_of_the_gx_project(scratch_db, psql, isolated_state):
    from urllib.parse import urlsplit

    _users(psql, "(1,'eu','a@x')")
    gate.check(connection_uri=scratch_db, table="app.users", key=["id"], expected_rows=1)
    password = urlsplit(scratch_db).password
    for f in (isolated_state / "gx").rglob("*"):
        if f.is_file():
            assert password not in f.read_text(errors="ignore"), f


def test_gate_counts_an_inheritance_parents_own_rows_and_reaches_any_name(scratch_db, psql):
    """As the copy does: an inheritance parent's own rows only (ONLY), and names GX's table asset cannot address
    (capitals and spaces it would lowercase, a newline it would not quote) reached by their quoted name."""
    from tributary import names

    psql("CREATE TABLE public.parent_model (id int, note text);"
         "CREATE TABLE public.child_model (extra int) INHERITS (public.parent_model);"
         "INSERT INTO public.parent_model VALUES (1, 'own');"
         "INSERT INTO public.child_model SELECT g, 'child', g FROM generate_series(2, 11) g;"
         'CREATE SCHEMA "Sp1eCial .Char"; CREATE TABLE "Sp1eCial .Char"."Tabl e.1"(id int);'
         'INSERT INTO "Sp1eCial .Char"."Tabl e.1" VALUES (1), (2);'
         'CREATE TABLE public."with\n  AS (x" (id int); INSERT INTO public."with\n  AS (x" VALUES (7)')
    out = gate.check(connection_uri=scratch_db, table="public.parent_model", key=["id"], expected_rows=1)
    assert out["success"] is True, out
    for schema, table, rows in (("Sp1eCial .Char", "Tabl e.1", 2), ("public", "with\n  AS (x", 1)):
        out = gate.check(connection_uri=scratch_db, table=names.qualified(schema, table), key=["id"], expected_rows=rows)
        assert out["success"] is True, out


# Every name form the gate must reach (schema, table and key column): quotes, a slash (a path separator in GX's
# file stores), a dot, a leading digit, `$`, a reserved word, capitals, spaces, unicode, a newline, 63 bytes (the
# most PostgreSQL keeps).
ODD_NAMES = [
    ("Odd\"Schema", "a/b", "K ey"),
    ("1st.schema", "select", "Select"),
    ("públic", "ünïcødé$tablé", "ünï"),
    ("app", "é" * 31 + "x", "x" * 63),
    ("app", "../escape\\", "id"),
    ("new\nline", "new\nline", "$1"),
]


def _odd_table(psql, schema: str, table: str, column: str) -> str:
    from tributary import names, suites

    psql(f"CREATE SCHEMA IF NOT EXISTS {suites.quote(schema)};"
         f"CREATE TABLE {suites.quote(schema)}.{suites.quote(table)} ({suites.quote(column)} int);"
         f"INSERT INTO {suites.quote(schema)}.{suites.quote(table)} VALUES (1), (2), (3)")
    return names.qualified(schema, table)


def test_gate_reaches_every_name_form(scratch_db, psql):
    for schema, table, column in ODD_NAMES:
        out = gate.check(connection_uri=scratch_db, table=_odd_table(psql, schema, table, column), key=[column],
                         expected_rows=3)
        assert out["success"] is True, (schema, table, out)


def test_a_key_column_gx_misreads_is_refused_naming_it(scratch_db, psql):
    """GX's uniqueness check fails a clean table whose key column holds a double quote or a line break: the gate
    refuses it with that reason rather than report a duplicate that is not there."""
    for column in ('k"ey', "new\nline"):
        table = _odd_table(psql, "app", "t" + str(len(column)), column)
        with pytest.raises(AirflowFailException, match="cannot check the key column") as refused:
            gate.check(connection_uri=scratch_db, table=table, key=[column], expected_rows=3)
        assert table in str(refused.value), refused.value
