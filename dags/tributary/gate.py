"""The Great Expectations gate: a table that landed must look right before the phase counts it done.

Per table, one suite ``<destination>.<schema>.<table>`` merged from layers (``suites.layered``): the
committed template for its class (``expectations/gx/expectations/``, expected row count from XCom as a
suite parameter) and the table's key columns (not null, unique), then the suite generated from the
discovery profile (``expectations/generated/``), then the hand-written overlay (``expectations/overlays/``).
A failed ``critical`` expectation fails the gate; a failed ``warning`` is reported only.
GX runs on a copy of the committed project in the state folder (``.stack/gx/project``), so the
data source, per-table suites, validation results and data docs never touch the repository.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from airflow.sdk.exceptions import AirflowFailException

from tributary import names, paths, suites

DATASOURCE = "consolidated"
# great_expectations.yml stores "${TRIBUTARY_GX_CONN}" literally; GX resolves it from this process's
# environment, so the password never reaches the file (and this task's env is its own).
CONN_VAR = "TRIBUTARY_GX_CONN"


@dataclass(frozen=True)
class GateResult:
    success: bool
    table: str
    failures: list[str]
    data_docs: str
    statistics: dict[str, Any]
    warnings: list[str] = ()
    layers: list[str] = ()

    def summary(self) -> str:
        head = f"GX gate {'passed' if self.success else 'FAILED'} for {self.table}"
        if self.failures:
            head += ": " + "; ".join(self.failures)
        if self.warnings:
            head += " | warnings: " + "; ".join(self.warnings)
        return f"{head} (data docs: {self.data_docs})"

    def as_xcom(self) -> dict[str, Any]:
        return {"table": self.table, "success": self.success, "failures": self.failures,
                "warnings": list(self.warnings), "layers": list(self.layers), "data_docs": self.data_docs,
                "statistics": self.statistics}


def project_dir() -> Path:
    return paths.gx_state_dir() / "project"


def sqlalchemy_url(uri: str) -> str:
    """GX needs a SQLAlchemy URL; with SQLAlchemy 2.1 a bare postgresql:// means psycopg 3, so name psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg2://" + uri[len(prefix):]
    return uri


@contextlib.contextmanager
def _project_lock():
    """One gate at a time per machine: GX's file context rewrites great_expectations.yml."""
    paths.gx_state_dir().mkdir(parents=True, exist_ok=True)
    with open(paths.gx_state_dir() / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sync_project() -> Path:
    """Copy the committed project over the working copy (committed files win; generated ones stay)."""
    src = paths.expectations_dir() / "gx"
    dst = project_dir() / "gx"
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("uncommitted", ".gitignore"))
    (dst / "uncommitted").mkdir(exist_ok=True)
    variables = dst / "uncommitted" / "config_variables.yml"
    if not variables.exists() or not variables.read_text().strip():
        variables.write_text("{}\n")  # GX cannot read an empty file; secrets come from the env instead
    return project_dir()


def _key_expectations(keys: Sequence[str]) -> list[dict[str, Any]]:
    exps = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": k}} for k in keys]
    if len(keys) == 1:
        exps.append({"type": "expect_column_values_to_be_unique", "kwargs": {"column": keys[0]}})
    elif keys:
        exps.append({"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": list(keys)}})
    return exps


def _to_gx(exp: dict[str, Any]):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    kwargs = dict(exp.get("kwargs") or {})
    description = kwargs.pop("description", None) or exp.get("description")
    return ExpectationConfiguration(type=exp["type"], kwargs=kwargs, meta=exp.get("meta") or {},
                                    description=description, severity=exp.get("severity") or "critical").to_domain_obj()


def _severity(res) -> str:
    sev = getattr(res.expectation_config, "severity", None)
    return str(getattr(sev, "value", sev) or "critical")


def _describe(res) -> str:
    cfg = res.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    what = cfg.type
    if cfg.type == "unexpected_rows_expectation" and cfg.description:
        what += f"({cfg.description})"
    if "column" in kwargs:
        what += f"({kwargs['column']})"
    elif "column_list" in kwargs:
        what += f"({','.join(kwargs['column_list'])})"
    r = res.result or {}
    if "observed_value" in r:
        what += f": observed {r['observed_value']}, expected {kwargs.get('value', '?')}"
    elif "unexpected_count" in r:
        what += f": {r['unexpected_count']} unexpected" + (
            f" of {r['element_count']}" if "element_count" in r else " rows")
    if res.exception_info and res.exception_info.get("raised_exception"):
        what += f": error {str(res.exception_info.get('exception_message', ''))[:200]}"
    return what


def run_gate(
    *,
    connection_uri: str,
    table: str,
    key: Sequence[str],
    expected_rows: int,
    suite_template: str = "application_table",
    run_name: str | None = None,
    destination: str = "consolidated",
) -> GateResult:
    """Validate ``schema.table`` on the target; returns the result (``check`` raises on failure).

    ``destination`` names the GX data source and prefixes the suite (``warehouse.<table>`` for phase 3),
    so the generated and overlay layers of that destination apply.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)  # import-time noise
    import great_expectations as gx

    schema, name = names.split_table(table)
    unreadable = [k for k in key if '"' in k or any(ord(ch) < 32 for ch in k)]
    if unreadable:  # GX's uniqueness check misreads such a column and fails a clean table: refused, not misjudged
        raise AirflowFailException(
            f"the GX gate cannot check the key column {', '.join(names.quote_if_needed(k) for k in unreadable)} of {table}:"
            " GX misreads a column name holding a double quote or a control character (a line break, a tab) in its"
            " uniqueness check; the copy's own checksums still verify the table")
    suite_name = suites.suite_name(destination, table)
    only = _own_rows_query(connection_uri, schema, name)
    os.environ[CONN_VAR] = sqlalchemy_url(connection_uri)
    try:
        result, layers = _run_checkpoint(gx, table, schema, name, suite_name, suite_template, key, expected_rows,
                                         run_name, destination, only)
    finally:
        os.environ.pop(CONN_VAR, None)  # the secret lives only as long as the validation

    failures, warnings, stats = [], [], {}
    for vr in result.run_results.values():
        stats = dict(vr.statistics)
        for r in vr.results:
            if not r.success:
                (warnings if _severity(r) in ("warning", "info") else failures).append(_describe(r))
    docs = project_dir() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return GateResult(not failures, table, failures, str(docs), stats, warnings, layers)


def data_docs_enabled() -> bool:
    """Whether a gate rebuilds the GX data docs site (the default). ``TRIBUTARY_GX_DATA_DOCS=false`` skips it,
    as the tests do (they read the stored validation results, which are kept either way; the report links
    to the site only where it exists)."""
    return os.environ.get("TRIBUTARY_GX_DATA_DOCS", "true").strip().lower() not in ("0", "false", "no", "off")


_SIMPLE = __import__("re").compile(r"[a-z_][a-z0-9_]*")


def _own_rows_query(connection_uri: str, schema: str, name: str) -> str | None:
    """The SELECT a gate validates instead of GX's table asset, or None for the table asset.

    - An inheritance parent (not a partitioned table): ``SELECT * FROM ONLY`` it. GX's table asset reads the
      children's rows too, while the copy (and expected_rows) counts the parent's own rows only.
    - A name GX cannot address (it lowercases unquoted-looking names and does not quote newlines): the table by its
      quoted name. Identifiers are always quoted here."""
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))
    import psycopg2

    with contextlib.closing(psycopg2.connect(connection_uri)) as conn, conn.cursor() as cur:
        cur.execute("SELECT c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid)"
                    " FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s)", (quoted,))
        row = cur.fetchone()
    if row and row[0]:
        return f"SELECT * FROM ONLY {quoted}"
    if not (_SIMPLE.fullmatch(schema) and _SIMPLE.fullmatch(name)):
        return f"SELECT * FROM {quoted}"
    return None


def _run_checkpoint(gx, table, schema, name, suite_name, suite_template, key, expected_rows, run_name,
                    destination=DATASOURCE, query=None):
    with _project_lock():
        context = gx.get_context(mode="file", project_root_dir=str(_sync_project()))
        ds = context.data_sources.add_or_update_postgres(name=destination, connection_string="${" + CONN_VAR + "}")
        asset_name = suites.store_key(table if query is None else f"{table} (query)")  # a key of GX's stores
        asset = next((a for a in ds.assets if a.name == asset_name), None) or (
            ds.add_table_asset(name=asset_name, table_name=name, schema_name=schema) if query is None
            else ds.add_query_asset(name=asset_name, query=query))
        batch = next((b for b in asset.batch_definitions if b.name == "whole_table"), None) or (
            asset.add_batch_definition_whole_table("whole_table")
        )

        template = context.suites.get(suite_template)
        base = [{"type": e.configuration.type, "kwargs": dict(e.configuration.kwargs),
                 "severity": _severity_value(e)} for e in template.expectations]
        merged, layers = suites.layered(suite_name, base + _key_expectations(key))
        suite = gx.ExpectationSuite(name=suite_name, meta={"template": suite_template, "keys": list(key),
                                                           "layers": layers})
        for exp in merged:
            suite.add_expectation(_to_gx(exp))
        suite = context.suites.add_or_update(suite)

        vd = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite_name,
                validation_definitions=[vd],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if data_docs_enabled() else [],
                result_format={"result_format": "SUMMARY"},
            )
        )
        return checkpoint.run(
            expectation_parameters={"expected_rows": int(expected_rows)},
            run_id=gx.RunIdentifier(run_name=run_name) if run_name else None,
        ), layers


def _severity_value(exp) -> str:
    sev = getattr(exp, "severity", None)
    return str(getattr(sev, "value", sev) or "critical")


XCOM_KEY = "gx_gate_result"


def check(**kwargs) -> dict[str, Any]:
    """``run_gate`` for a task: AirflowFailException with the failed expectations unless it passed.

    The result also goes to XCom under ``XCOM_KEY`` before failing, so the phase's outcome task can name the
    failed expectations and the data docs in the DAG's final error.
    """
    try:
        res = run_gate(**kwargs)
    except Exception as e:
        if tls_refused(e):  # a certificate that does not verify is fixed by a person: never retried
            raise AirflowFailException(f"TLS refused: {e} (check that sslrootcert names the CA that signed the"
                                       " server's certificate and that the host is the one it was issued for)") from e
        raise
    log = logging.getLogger(__name__)
    (log.info if res.success else log.error)("%s", res.summary())
    try:
        from airflow.sdk import get_current_context

        get_current_context()["ti"].xcom_push(key=XCOM_KEY, value=res.as_xcom())
    except Exception:  # outside a task (tests, scripts): nothing to push to
        pass
    if not res.success:
        raise AirflowFailException(res.summary())
    return res.as_xcom()


# libpq's words when it refuses a server's certificate or cannot read the CA file (psycopg2 passes them on).
_TLS_REFUSALS = ("certificate verify failed", "root certificate file", "server certificate for",
                 "SSL error: ", "server does not support SSL")


def tls_refused(e: BaseException) -> bool:
    """Is this failure, or one it was raised from, libpq refusing the server's TLS?"""
    while e is not None:
        if any(m in str(e) for m in _TLS_REFUSALS):
            return True
        e = e.__cause__ or e.__context__
    return False


def failure_summary(result: dict[str, Any] | None) -> str:
    """One line for a DAG's final error: the failed expectations and where the data docs are."""
    if not result:
        return ""
    return f"GX gate failed: {'; '.join(result.get('failures') or [])} (data docs: {result.get('data_docs')})"
