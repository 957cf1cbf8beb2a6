"""Airflow Connection -> the worker's ``TRIBUTARY_CONN_<ID>`` URI (docs/contracts-local.md).

The one place where a secret is turned into a string; callers put that string only into a child
process environment, never into argv, logs or XCom.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode, urlsplit

POSTGRES_TYPES = {"postgres", "postgresql"}
S3_TYPES = {"aws", "s3"}
# libpq options an Airflow postgres Connection may carry in its extras and the worker understands.
_LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "connect_timeout", "options")


def env_name(conn_id: str) -> str:
    return "TRIBUTARY_CONN_" + conn_id.upper()


def _userinfo(login: str | None, password: str | None) -> str:
    if not login:
        return ""
    user = quote(login, safe="")
    return f"{user}:{quote(password, safe='')}@" if password else f"{user}@"


def _host(host: str | None, port: int | None) -> str:
    host = host or ""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    return f"{host}:{port}" if port else host


def to_uri(conn: Any) -> str:
    """Render an Airflow Connection (anything with conn_type/host/port/login/password/schema/extra_dejson)."""
    conn_type = (conn.conn_type or "").lower()
    extra = dict(getattr(conn, "extra_dejson", None) or {})
    if conn_type in POSTGRES_TYPES:
        query = {k: str(extra[k]) for k in _LIBPQ_EXTRAS if k in extra}
        uri = f"postgresql://{_userinfo(conn.login, conn.password)}{_host(conn.host, conn.port)}/{quote(conn.schema or '', safe='')}"
        return uri + (f"?{urlencode(query)}" if query else "")
    if conn_type in S3_TYPES:
        # s3://<access-key>:<secret-key>@host:port?region=..&scheme=http ; no host = the real AWS endpoint.
        query: dict[str, str] = {}
        region = extra.get("region_name") or extra.get("region")
        if region:
            query["region"] = region
        netloc = ""
        endpoint = extra.get("endpoint_url") or (extra.get("service_config", {}).get("s3", {}) or {}).get("endpoint_url")
        if endpoint:
            parts = urlsplit(endpoint)
            netloc = parts.netloc
            query["scheme"] = parts.scheme or "https"
        login = conn.login or extra.get("aws_access_key_id")
        password = conn.password or extra.get("aws_secret_access_key")
        return f"s3://{_userinfo(login, password)}{netloc}" + (f"?{urlencode(query)}" if query else "")
    raise ValueError(f"connection {conn.conn_id!r}: type {conn_type!r} is not supported by the worker (postgres, aws)")


def worker_env(conn_ids: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``{TRIBUTARY_CONN_<ID>: uri}`` for each connection id, read through Airflow's secrets backends."""
    from airflow.sdk import BaseHook  # imported late: only task execution needs it

    return {env_name(cid): to_uri(BaseHook.get_connection(cid)) for cid in conn_ids}
