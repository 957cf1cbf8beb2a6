"""Schema fidelity (issue 15, item 1): a schema nobody here wrote, consolidated whole, comes out exactly as
`pg_dump --schema-only` of the source describes it.

- pgcopydb's own unit-test schemas (../shared/datasets/pgcopydb-unit): `tributary schema --phase pre-data
  --whole`, the data, `--phase post-data`; then sorted `pg_dump --schema-only` of source and target identical
  (only the target's control schema `tributary` excluded) and pgcopydb's queries in sql/, run on the target the
  way its copydb.sh runs them (`psql --single-transaction --no-psqlrc --expanded`), give exactly expected/.
- Pagila, whole, the same pg_dump comparison (a non-superuser target user this time).
- A target that cannot hold the schema (an extension only a superuser may create, a collation, an owner role it
  lacks): exit 2 naming each with its fix, nothing created. Grants to a role the target lacks: skipped, listed.

Source databases live on the src_pagila instance, targets on the consolidated instance: two servers, so roles
(which are per server) can be missing on the target. The tests use the stack's admin sockets (PSQL_ADMIN_*) only
to create and drop their databases and roles.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import WORKER
from pg_fidelity import (admin_sql as _admin_sql, assert_pgcopydb_queries_give_expected, assert_same_rows as _same_rows,
                         assert_same_schema as _assert_same_schema, drop_role, load_unit_schemas, make_superuser,
                         psql as _psql, rows as _rows, tables as _tables, uri as _uri)
from tributary import names

pytestmark = [pytest.mark.stack, pytest.mark.worker]

# Every table goes through `tributary copy`, named the way PostgreSQL quotes it (names.qualified): inheritance
# parents (ONLY their own rows), generated columns (recomputed by the target, hashed on both sides), the table
# without columns, and the names with dots, spaces, quotes and newlines.


# ---------------------------------------------------------------- helpers


def _worker(env: dict[str, str], *args: str) -> tuple[int, dict, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRIBUTARY_CONN_")}
    full.update(env)
    r = subprocess.run([str(WORKER), *args], env=full, capture_output=True, text=True)
    lines = r.stdout.strip().splitlines()
    return r.returncode, (json.loads(lines[-1]) if lines else {}), r.stderr



def _config(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "migration.yaml"
    path.write_text(f"""version: 1
project: schema-fidelity
control:
  connection: fidelity_target
  schema: tributary
sources:
  - id: {source}
    description: a schema nobody here wrote
targets:
  consolidated:
    connection: fidelity_target
""")
    return path



def _copy_every_table(env: dict, config: Path, source_id: str, source: str, target: str) -> None:
    for schema, table in _tables(source):
        if _rows(source, f"SELECT relispartition FROM pg_class WHERE oid = '{_q(schema)}.{_q(table)}'::regclass")[0][0]:
            continue  # a partitioned table's copy routes its rows into the partitions
        code, result, err = _worker(env, "copy", f"--config={config}", "--source", source_id, "--table",
                                    names.qualified(schema, table), "--parallelism", "2")
        assert code == 0, f"copy {schema}.{table}: {err[-3000:]}"
        assert result["checksum"] == result["target_checksum"], result




def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def superuser():
    """A superuser on both servers for the pgcopydb schemas, as pgcopydb's own test runs: the schemas need
    pg_stat_statements (only a superuser creates it) and revoke EXECUTE on its function (only its owner, the
    superuser, can); the target must get the same owners and the same ACL."""
    name, password = make_superuser("tributary_fidelity")
    yield name, password
    drop_role(name)


@pytest.fixture
def databases():
    """create(instance, owner) -> a fresh database's name; all dropped after the test."""
    made: list[tuple[str, str]] = []

    def create(instance: str, owner: str) -> str:
        db = f"tributary_fidelity_{secrets.token_hex(4)}"
        _admin_sql(instance, f'CREATE DATABASE "{db}" OWNER "{owner}"')
        made.append((instance, db))
        return db

    yield create
    for instance, db in made:
        _admin_sql(instance, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# ---------------------------------------------------------------- tests


@pytest.mark.e2e  # 4 min: pre-data, every table copied, post-data, pg_dump and pgcopydb's queries
def test_pgcopydb_unit_schemas_come_out_identical(tmp_path, superuser, databases):
    user, password = superuser
    source = _uri(user, password, "src_pagila", databases("src_pagila", user))
    target = _uri(user, password, "consolidated", databases("consolidated", user))
    load_unit_schemas(source)
    # copydb.sh creates the ICU collation `mycol` on the target first because it clones with --skip-collations.
    # Here the target starts empty: mycol is part of the source's schema (public.mycol), so pre-data creates it;
    # the server's own ICU collations (fr-FR-x-icu, de-DE-x-icu, en-US-x-icu) are checked by the preflight.
    env = {"TRIBUTARY_CONN_UNIT": source, "TRIBUTARY_CONN_FIDELITY_TARGET": target, "TRIBUTARY_ACTOR": "pytest"}
    config = _config(tmp_path, "unit")

    code, pre, err = _worker(env, "schema", f"--config={config}", "--phase", "pre-data", "--source", "unit", "--whole")
    assert code == 0, err[-4000:]
    assert pre["status"] == "created" and pre["restored_from_pg_dump"] == ["unit"], pre
    code, again, err = _worker(env, "schema", f"--config={config}", "--phase", "pre-data", "--source", "unit", "--whole")
    assert code == 0 and again["status"] == "unchanged", (again, err[-2000:])

    _copy_every_table(env, config, "unit", source, target)

    code, post, err = _worker(env, "schema", f"--config={config}", "--phase", "post-data", "--source", "unit",
                              "--whole", "--parallelism", "2")
    assert code == 0, err[-4000:]
    assert post["status"] == "created", post
    code, again, err = _worker(env, "schema", f"--config={config}", "--phase", "post-data", "--source", "unit", "--whole")
    assert code == 0 and again["status"] == "unchanged", (again, err[-2000:])

    _assert_same_schema(source, target)
    _same_rows(source, target)
    assert_pgcopydb_queries_give_expected(target)


@pytest.mark.e2e  # 3 min: the whole of Pagila through pre-data, copy, post-data
def test_pagila_whole_comes_out_identical(tmp_path, databases):
    """Pagila as `make sources` loads it, restored by the non-superuser `tributary` into a database it owns. Only
    pg_stat_statements (which the stack creates in every source) needs a superuser: created first, as an
    administrator would after the preflight asked for it."""
    pagila = os.environ.get("TRIBUTARY_CONN_SRC_PAGILA")
    if not pagila or not _rows(pagila, "SELECT to_regclass('public.film') IS NOT NULL")[0][0]:
        pytest.skip("Pagila is not loaded in src_pagila: run `make sources`")
    consolidated = urlsplit(os.environ["TRIBUTARY_CONN_CONSOLIDATED"])
    db = databases("consolidated", unquote(consolidated.username))
    target = consolidated._replace(path="/" + db).geturl()
    env = {"TRIBUTARY_CONN_PAGILA": pagila, "TRIBUTARY_CONN_FIDELITY_TARGET": target, "TRIBUTARY_ACTOR": "pytest"}
    config = _config(tmp_path, "pagila")

    code, result, err = _worker(env, "schema", f"--config={config}", "--phase", "pre-data", "--source", "pagila", "--whole")
    assert code == 2, err[-2000:]
    assert 'extension "pg_stat_statements" can only be created by a superuser' in result["error"], result
    assert _rows(target, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")[0][0] == 0
    for ext in [r[0] for r in _rows(pagila, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")]:
        _admin_sql("consolidated", f'CREATE EXTENSION IF NOT EXISTS "{ext}"', db=db)

    r = subprocess.run([str(WORKER), "schema", f"--config={config}", "--phase", "pre-data", "--source", "pagila",
                        "--whole", "--dry-run"], env={**os.environ, **env}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "CREATE TABLE public.payment (" in r.stdout and json.loads(r.stdout.splitlines()[-1])["status"] == "planned"
    assert _tables(target) == [], "a dry run changes nothing"

    code, pre, err = _worker(env, "schema", f"--config={config}", "--phase", "pre-data", "--source", "pagila", "--whole")
    assert code == 0, err[-4000:]
    _copy_every_table(env, config, "pagila", pagila, target)
    code, post, err = _worker(env, "schema", f"--config={config}", "--phase", "post-data", "--source", "pagila",
                              "--whole", "--parallelism", "2")
    assert code == 0, err[-4000:]
    _assert_same_schema(pagila, target)
    _same_rows(pagila, target)
    assert _rows(target, "SELECT last_value, is_called FROM public.actor_actor_id_seq") == \
        _rows(pagila, "SELECT last_value, is_called FROM public.actor_actor_id_seq")


def test_what_the_target_cannot_hold_is_exit_2_naming_each_nothing_created(tmp_path, superuser, databases):
    user, password = superuser
    ghost = f"tributary_fidelity_owner_{secrets.token_hex(3)}"
    _admin_sql("src_pagila", f"CREATE ROLE {ghost}")  # on the source's server only
    source_db = databases("src_pagila", user)
    try:
        source = _uri(user, password, "src_pagila", source_db)
        _psql(source, "-c", "CREATE EXTENSION pg_stat_statements",
              "-c", 'CREATE TABLE public.letters (id int PRIMARY KEY, body text COLLATE "de-DE-x-icu")',
              "-c", "CREATE TABLE public.owned (id int)", "-c", f"ALTER TABLE public.owned OWNER TO {ghost}")
        consolidated = urlsplit(os.environ["TRIBUTARY_CONN_CONSOLIDATED"])
        db = databases("consolidated", unquote(consolidated.username))
        target = consolidated._replace(path="/" + db).geturl()
        # This target database lacks the ICU collation (collations are per database).
        _admin_sql("consolidated", 'DROP COLLATION pg_catalog."de-DE-x-icu"', db=db)
        env = {"TRIBUTARY_CONN_ODD": source, "TRIBUTARY_CONN_FIDELITY_TARGET": target, "TRIBUTARY_ACTOR": "pytest"}
        config = _config(tmp_path, "odd")

        code, result, err = _worker(env, "schema", f"--config={config}", "--phase", "pre-data", "--source", "odd",
                                    "--whole")
        assert code == 2, err[-2000:]
        missing = "\n".join(result["missing"])
        assert 'extension "pg_stat_statements" can only be created by a superuser: run CREATE EXTENSION' in missing
        assert ('ICU collation "pg_catalog"."de-DE-x-icu" does not exist in the target database: use a PostgreSQL'
                ' built with ICU, or CREATE COLLATION pg_catalog."de-DE-x-icu" (provider = icu, locale = \'de-DE\')') in missing
        assert f'role "{ghost}" owns objects in odd and does not exist on the target server: CREATE ROLE' in missing
        # The source's objects belong to the superuser that created them: the target user may not give objects to it.
        assert f'the target user "tributary" cannot give objects to role "{user}": GRANT "{user}" TO "tributary"' in missing
        assert len(result["missing"]) == 4, missing
        assert _rows(target, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")[0][0] == 0
        assert _rows(target, "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'")[0][0] == 0
    finally:
        _admin_sql("src_pagila", f'DROP DATABASE IF EXISTS "{source_db}" WITH (FORCE)', f"DROP ROLE IF EXISTS {ghost}")


def test_grants_to_roles_the_target_lacks_are_skipped_and_listed(tmp_path, databases):
    source_uri = urlsplit(os.environ["TRIBUTARY_CONN_SRC_PAGILA"])
    reader = f"tributary_fidelity_reader_{secrets.token_hex(3)}"
    _admin_sql("src_pagila", f"CREATE ROLE {reader}")  # on the source's server only
    db = databases("src_pagila", unquote(source_uri.username))
    try:
        source = source_uri._replace(path="/" + db).geturl()
        _psql(source, "-c", "CREATE TABLE public.report (id int PRIMARY KEY, total numeric)",
              "-c", f"GRANT SELECT ON public.report TO {reader}",
              "-c", "COMMENT ON TABLE public.report IS 'kept'")
        consolidated = urlsplit(os.environ["TRIBUTARY_CONN_CONSOLIDATED"])
        target = consolidated._replace(path="/" + databases("consolidated", unquote(consolidated.username))).geturl()
        env = {"TRIBUTARY_CONN_REPORTS": source, "TRIBUTARY_CONN_FIDELITY_TARGET": target, "TRIBUTARY_ACTOR": "pytest"}
        config = _config(tmp_path, "reports")
        code, result, err = _worker(env, "schema", f"--config={config}", "--phase", "pre-data", "--source",
                                    "reports", "--whole")
        assert code == 0, err[-3000:]
        assert len(result["grants_skipped"]) == 1 and reader in result["grants_skipped"][0], result
        assert _rows(target, "SELECT obj_description('public.report'::regclass)")[0][0] == "kept"
    finally:
        _admin_sql("src_pagila", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', f"DROP ROLE IF EXISTS {reader}")
