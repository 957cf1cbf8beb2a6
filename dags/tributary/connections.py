"""Airflow Connection -> the worker's ``TRIBUTARY_CONN_<ID>`` URI (docs/contracts-local.md).

The one place where a secret is turned into a string; callers put that string only into a child
process environment, never into argv, logs or XCom.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

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
        elif conn.host:  # the chart's AIRFLOW_CONN_<ID> is the worker's own s3:// URI: host, port and scheme as given
            netloc = _host(conn.host, conn.port)
            query["scheme"] = str(extra.get("scheme") or "https")
        # The CA the server's certificate must verify against: the worker's cafile=, the Amazon provider's verify.
        cafile = extra.get("cafile") or (extra["verify"] if isinstance(extra.get("verify"), str) else None)
        if cafile:
            query["cafile"] = str(cafile)
        login = conn.login or extra.get("aws_access_key_id")
        password = conn.password or extra.get("aws_secret_access_key")
        return f"s3://{_userinfo(login, password)}{netloc}" + (f"?{urlencode(query)}" if query else "")
    raise ValueError(f"connection {conn.conn_id!r}: type {conn_type!r} is not supported by the worker (postgres, aws)")


def boto3_s3_arguments(uri: str) -> dict[str, Any]:
    """boto3.client("s3", **...) for a worker S3 URI, read as the worker reads it (docs/security.md): the endpoint
    with its scheme, the keys (none: boto3's default chain), the region, and ``cafile`` as boto3's ``verify`` (only
    that CA trusted; boto3 checks the host name too)."""
    parts = urlsplit(uri)
    if parts.scheme != "s3":
        raise ValueError("an S3 connection must be an s3:// URI")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    arguments: dict[str, Any] = {"region_name": query.get("region", "us-east-1")}
    if parts.hostname:
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        arguments["endpoint_url"] = f"{query.get('scheme', 'https')}://{host}" + (f":{parts.port}" if parts.port else "")
    if parts.username:
        arguments["aws_access_key_id"] = unquote(parts.username)
        arguments["aws_secret_access_key"] = unquote(parts.password or "")
        if "session_token" in query:
            arguments["aws_session_token"] = query["session_token"]
    if "cafile" in query:
        arguments["verify"] = query["cafile"]
    return arguments


def worker_env(conn_ids: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``{TRIBUTARY_CONN_<ID>: uri}`` for each connection id, read through Airflow's secrets backends."""
    from airflow.sdk import BaseHook  # imported late: only task execution needs it

    return {env_name(cid): to_uri(BaseHook.get_connection(cid)) for cid in conn_ids}
