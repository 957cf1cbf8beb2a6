"""The Great Expectations gate: a table that landed must look right before the phase counts it done.

Per table: the committed suite template for its class (``expectations/gx/expectations/``) with the
expected row count from XCom as a suite parameter, plus the table's key columns (not null, unique).
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

from tributary import paths

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

    def summary(self) -> str:
        head = f"GX gate {'passed' if self.success else 'FAILED'} for {self.table}"
        if self.failures:
            head += ": " + "; ".join(self.failures)
        return f"{head} (data docs: {self.data_docs})"

    def as_xcom(self) -> dict[str, Any]:
        return {"table": self.table, "success": self.success, "failures": self.failures, "data_docs": self.data_docs,
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


def _expectations_for(gx, keys: Sequence[str]) -> list:
    exps = []
    for k in keys:
        exps.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=k))
    if len(keys) == 1:
        exps.append(gx.expectations.ExpectColumnValuesToBeUnique(column=keys[0]))
    elif keys:
        exps.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(keys)))
    return exps


def _describe(res) -> str:
    cfg = res.expectation_config
    kwargs = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id",)}
    what = cfg.type
    if "column" in kwargs:
        what += f"({kwargs['column']})"
    elif "column_list" in kwargs:
        what += f"({','.join(kwargs['column_list'])})"
    r = res.result or {}
    if "observed_value" in r:
        what += f": observed {r['observed_value']}, expected {kwargs.get('value', '?')}"
    elif "unexpected_count" in r:
        what += f": {r['unexpected_count']} unexpected of {r.get('element_count', '?')}"
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
) -> GateResult:
    """Validate ``schema.table`` on the target; returns the result (``check`` raises on failure)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)  # import-time noise
    import great_expectations as gx

    schema, name = table.split(".", 1)
    suite_name = f"consolidated.{table}"
    os.environ[CONN_VAR] = sqlalchemy_url(connection_uri)
    try:
        result = _run_checkpoint(gx, table, schema, name, suite_name, suite_template, key, expected_rows, run_name)
    finally:
        os.environ.pop(CONN_VAR, None)  # the secret lives only as long as the validation

    failures, stats = [], {}
    for vr in result.run_results.values():
        stats = dict(vr.statistics)
        failures += [_describe(r) for r in vr.results if not r.success]
    docs = project_dir() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return GateResult(bool(result.success), table, failures, str(docs), stats)


def _run_checkpoint(gx, table, schema, name, suite_name, suite_template, key, expected_rows, run_name):
    with _project_lock():
        context = gx.get_context(mode="file", project_root_dir=str(_sync_project()))
        ds = context.data_sources.add_or_update_postgres(name=DATASOURCE, connection_string="${" + CONN_VAR + "}")
        asset_name = table
        asset = next((a for a in ds.assets if a.name == asset_name), None) or ds.add_table_asset(
            name=asset_name, table_name=name, schema_name=schema
        )
        batch = next((b for b in asset.batch_definitions if b.name == "whole_table"), None) or (
            asset.add_batch_definition_whole_table("whole_table")
        )

        template = context.suites.get(suite_template)
        suite = gx.ExpectationSuite(name=suite_name, meta={"template": suite_template, "keys": list(key)})
        for exp in template.expectations:
            suite.add_expectation(exp.__class__(**exp.configuration.kwargs))
        for exp in _expectations_for(gx, key):
            suite.add_expectation(exp)
        suite = context.suites.add_or_update(suite)

        vd = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite_name,
                validation_definitions=[vd],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                result_format={"result_format": "SUMMARY"},
            )
        )
        return checkpoint.run(
            expectation_parameters={"expected_rows": int(expected_rows)},
            run_id=gx.RunIdentifier(run_name=run_name) if run_name else None,
        )


def check(**kwargs) -> dict[str, Any]:
    """``run_gate`` for a task: AirflowFailException with the failed expectations unless it passed."""
    res = run_gate(**kwargs)
    if not res.success:
        raise AirflowFailException(res.summary())
    return res.as_xcom()
