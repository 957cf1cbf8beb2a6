"""The databases the benchmark uses on the local stack, reached with the stack's own connections.

Source: database `bench` in the `src_eu` instance. Targets: databases in the `consolidated` instance,
created empty before every run. Secrets travel only in environment variables (libpq's PG*), never argv.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Database:
    """One database: the `tributary` role over TCP (`uri`) and the superuser over the private socket."""

    uri: str
    admin_conninfo: str

    @property
    def name(self) -> str:
        return urlsplit(self.uri).path.lstrip("/")

    def with_name(self, name: str) -> "Database":
        parts = urlsplit(self.uri)
        admin = " ".join(
            f"dbname={name}" if item.startswith("dbname=") else item for item in self.admin_conninfo.split()
        )
        return Database(parts._replace(path="/" + name).geturl(), admin)

    def libpq_env(self) -> dict[str, str]:
        """PG* variables for psql, pg_dump, reladiff: the password stays out of argv."""
        parts = urlsplit(self.uri)
        env = dict(os.environ)
        env.update(
            PGHOST=parts.hostname or "127.0.0.1",
            PGPORT=str(parts.port or 5432),
            PGUSER=unquote(parts.username or ""),
            PGPASSWORD=unquote(parts.password or ""),
            PGDATABASE=self.name,
        )
        return env

    def uri_without_password(self) -> str:
        parts = urlsplit(self.uri)
        netloc = f"{unquote(parts.username or '')}@{parts.hostname}:{parts.port}"
        return parts._replace(netloc=netloc).geturl()

    def sql(self, statement: str, *, admin: bool = False) -> str:
        """Runs a SQL script with psql (statement by statement), returns unaligned tuples-only output."""
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-f", "-"]
        if admin:
            argv += ["-d", self.admin_conninfo]
            env = dict(os.environ)
        else:
            env = self.libpq_env()
        done = subprocess.run(argv, env=env, input=statement, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"psql on {self.name} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def count(self, table: str = "public.trades") -> int:
        return int(self.sql(f"SELECT count(*) FROM {table}"))


@dataclass(frozen=True)
class Stack:
    source_instance: Database   # the src_eu instance's own database (for admin work)
    target_instance: Database   # the consolidated instance's own database

    @classmethod
    def from_environment(cls) -> "Stack":
        missing = [v for v in ("TRIBUTARY_CONN_SRC_EU", "PSQL_ADMIN_SRC_EU", "TRIBUTARY_CONN_CONSOLIDATED",
                               "PSQL_ADMIN_CONSOLIDATED") if not os.environ.get(v)]
        if missing:
            raise SystemExit(f"bench: {', '.join(missing)} not set: source .stack/env (make stack-up)")
        return cls(
            Database(os.environ["TRIBUTARY_CONN_SRC_EU"], os.environ["PSQL_ADMIN_SRC_EU"]),
            Database(os.environ["TRIBUTARY_CONN_CONSOLIDATED"], os.environ["PSQL_ADMIN_CONSOLIDATED"]),
        )

    def source(self) -> Database:
        return ensure_database(self.source_instance, "bench")

    def fresh_target(self, name: str = "bench_target") -> Database:
        """An empty database owned by `tributary` (dropped first if it exists)."""
        self.target_instance.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin=True)
        self.target_instance.sql(f'CREATE DATABASE "{name}" OWNER tributary', admin=True)
        return self.target_instance.with_name(name)

    def drop_target(self, name: str = "bench_target") -> None:
        self.target_instance.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin=True)


def ensure_database(instance: Database, name: str) -> Database:
    exists = instance.sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", admin=True)
    if not exists:
        instance.sql(f'CREATE DATABASE "{name}" OWNER tributary', admin=True)
    return instance.with_name(name)
