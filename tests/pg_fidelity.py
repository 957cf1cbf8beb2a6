"""What the schema-fidelity acceptance tests share (tests/test_schema_fidelity.py, tests/test_e2e_fidelity.py):
pgcopydb's unit schemas, the stack's admin sockets, libpq through the environment (never a password in argv),
and the independent checks — sorted `pg_dump --schema-only` of both sides, sorted COPY text of ONLY each relation,
pgcopydb's own queries giving its expected output."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from conftest import REPO

DATASETS = REPO / ".." / "shared" / "datasets"
UNIT = DATASETS / "pgcopydb-unit"
# pg_dump 15.14+ writes `\restrict <random key>`: the same key on both sides keeps the dumps comparable.
RESTRICT = "--restrict-key=tributaryschemafidelity"


def admin(instance: str) -> str:
    return os.environ[f"PSQL_ADMIN_{instance.upper()}"]


def admin_sql(instance: str, *statements: str, db: str | None = None) -> None:
    import psycopg2

    dsn = admin(instance) if db is None else admin(instance).rsplit("dbname=", 1)[0] + f"dbname={db}"
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for s in statements:
                cur.execute(s)
    finally:
        conn.close()


def port(instance: str) -> str:
    return admin(instance).split("port=")[1].split()[0]


def uri(user: str, password: str, instance: str, db: str) -> str:
    return f"postgresql://{quote(user)}:{quote(password)}@127.0.0.1:{port(instance)}/{quote(db)}"


def libpq_env(uri: str) -> dict[str, str]:
    """pg_dump/psql read the connection from the environment: the password never in argv."""
    u = urlsplit(uri)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=u.hostname, PGPORT=str(u.port), PGUSER=unquote(u.username), PGPASSWORD=unquote(u.password),
               PGDATABASE=unquote(u.path[1:]))
    return env


def psql(uri: str, *args: str, stdin: bytes | None = None, cwd: Path | None = None, check=True) -> str:
    r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", *args], env=libpq_env(uri), input=stdin,
                       capture_output=True, cwd=cwd)
    if check and r.returncode != 0:
        raise AssertionError(f"psql {args} failed: {r.stderr.decode()}")
    return r.stdout.decode()


def rows(uri: str, sql: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(uri) as c, c.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schema_dump(uri: str, *extra: str) -> list[str]:
    r = subprocess.run(["pg_dump", "--schema-only", RESTRICT, *extra], env=libpq_env(uri), capture_output=True)
    assert r.returncode == 0, r.stderr.decode()
    return sorted(r.stdout.decode().splitlines())


# What marks a Tributary control schema, whatever its name (migration core/002): never part of a schema to migrate.
CONTROL_SCHEMA = "coalesce(obj_description(n.oid, 'pg_namespace'), '') LIKE 'tributary control schema%'"


def control_schemas(uri: str) -> list[str]:
    return [r[0] for r in rows(uri, f"SELECT n.nspname FROM pg_namespace n WHERE {CONTROL_SCHEMA}")]


def assert_same_schema(source: str, target: str) -> None:
    # Control schemas are bookkeeping, left out on both sides: the target's ledger of the copies, and one a source
    # can hold (the rollback's reverse follower keeps `tributary_rollback` there), which the restore leaves out.
    src = schema_dump(source, *(f"--exclude-schema={ident(s)}" for s in control_schemas(source)))
    dst = schema_dump(target, "--exclude-schema=tributary")
    if src != dst:
        import difflib

        diff = "\n".join(difflib.unified_diff(src, dst, "source", "target", lineterm="", n=0))
        raise AssertionError("sorted pg_dump --schema-only differs:\n" + diff[:8000])


def tables(uri: str) -> list[tuple[str, str]]:
    """Every table and partitioned table outside the catalogs, the control schema and extensions."""
    return rows(uri, f"""
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'tributary')
           AND NOT {CONTROL_SCHEMA}
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
         ORDER BY 1, 2""")


def assert_same_rows(source: str, target: str) -> None:
    """Rows compared independently of the project's checksum: sorted COPY text of ONLY each relation."""
    for schema, table in tables(source):
        rel = f"{ident(schema)}.{ident(table)}"
        cols = [r[0] for r in rows(source, f"SELECT attname FROM pg_attribute WHERE attrelid = "
                                           f"'{rel.replace(chr(39), chr(39) * 2)}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")]
        sel = f"SELECT {', '.join(ident(c) for c in cols) or 'count(*)'} FROM ONLY {rel}"
        sides = [sorted(psql(u, "-c", f"COPY ({sel}) TO STDOUT").splitlines()) for u in (source, target)]
        assert sides[0] == sides[1], f"{rel}: rows differ"


def load_unit_schemas(source: str) -> None:
    """pgcopydb's setup.sql into `source`, as copydb.sh does: the database's search_path names the schema "abc"
    (quotes in its name), which the partial index over its enum depends on."""
    psql(source, "-c", "ALTER DATABASE " + ident(unquote(urlsplit(source).path[1:])) + ' SET search_path TO public, """abc"""')
    psql(source, "-1", "-f", "setup.sql", cwd=UNIT / "setup")


def assert_pgcopydb_queries_give_expected(target: str) -> None:
    """pgcopydb's queries in sql/, run on the target the way its copydb.sh runs them (`psql --single-transaction
    --no-psqlrc --expanded`, stdout and stderr captured), give exactly the output of the same name in expected/."""
    for sql in sorted((UNIT / "sql").glob("*.sql")):
        r = subprocess.run(["psql", "--single-transaction", "--no-psqlrc", "--expanded", "--file", str(sql)],
                           env=libpq_env(target), capture_output=True, text=True)
        got = r.stdout + r.stderr  # copydb.sh captures both (&>)
        expected = (UNIT / "expected" / (sql.stem + ".out")).read_text()
        assert got == expected, f"{sql.name}:\n--- expected\n{expected}\n--- got\n{got}"


def make_superuser(prefix: str) -> tuple[str, str]:
    """A superuser LOGIN role on both servers (src_pagila, consolidated); drop it with drop_role."""
    name, password = f"{prefix}_{secrets.token_hex(3)}", secrets.token_hex(16)
    for instance in ("src_pagila", "consolidated"):
        admin_sql(instance, f"CREATE ROLE {name} SUPERUSER LOGIN PASSWORD '{password}'")
    return name, password


def drop_role(name: str) -> None:
    for instance in ("src_pagila", "consolidated"):
        admin_sql(instance, f"DROP ROLE IF EXISTS {name}")
