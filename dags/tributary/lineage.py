"""Data lineage: every worker task reports what it read and wrote as OpenLineage datasets.

Airflow's OpenLineage provider emits the events (START/COMPLETE/FAIL per task) through the transport the
deployment configures (``[openlineage] transport``: a file locally, HTTP to Marquez or a catalog in
production). This module is its extractor for Tributary's worker tasks (``[openlineage] extractors =
tributary.lineage.WorkerLineageExtractor``), in both launcher modes. What a task read and wrote comes from its
command line and the worker's own JSON result (the worker decides target names; the DAGs do not guess):

- copy:     source table -> target table         - stage:   source table -> S3 manifest
- load:     S3 manifest(s) -> warehouse table     - archive: source table -> S3 archive location
- checksum: the table it read

Dataset names follow OpenLineage's naming: ``postgres://host:port`` + ``database.schema.table`` (host, port and
database from the Airflow Connection, never its secret), ``s3://bucket`` + key.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_ATTRIBUTE = "_tributary_lineage"  # set on the running task by the launcher, read by the extractor


def _value(argv: Sequence[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def _table(conn_id: str, table: str) -> tuple[str, str]:
    """(namespace, name) of a table on an Airflow Connection; the connection id itself if it cannot be read."""
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(conn_id)
        host = f"{conn.host}:{conn.port}" if conn.port else (conn.host or conn_id)
        return f"postgres://{host}", f"{conn.schema}.{table}" if conn.schema else table
    except Exception:  # noqa: BLE001 - lineage must never fail a task
        return f"postgres://{conn_id}", table


def _s3(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return f"s3://{parts.netloc}", parts.path.lstrip("/")


def datasets(argv: Sequence[Any], result: dict | None, warehouse_connection: str | None = None):
    """(inputs, outputs) as (namespace, name) pairs for one worker call."""
    argv = [str(a) for a in argv]
    result = result or {}
    command = argv[0] if argv else ""
    where = (_value(argv, "--source") or _value(argv, "--conn") or [None])[0]
    table = result.get("table") or (_value(argv, "--table") or [None])[0]
    inputs, outputs = [], []
    if command in ("copy", "stage", "archive", "checksum") and where and table:
        inputs.append(_table(where, table))
    if command == "load":
        inputs += [_s3(m) for m in _value(argv, "--manifest") if m.startswith("s3://")]
        target = result.get("target_table") or (_value(argv, "--target-table") or [None])[0]
        if target and warehouse_connection:
            outputs.append(_table(warehouse_connection, target))
    if result.get("target") and result.get("target_table"):
        outputs.append(_table(result["target"], result["target_table"]))
    for key in ("manifest", "location"):
        if str(result.get(key) or "").startswith("s3://"):
            outputs.append(_s3(result[key]))
    return inputs, outputs


def record(task, argv: Sequence[Any], result: dict | None) -> None:
    """Called by the launcher once the worker ended (a failed one too): what the extractor will report."""
    try:
        from tributary import config

        warehouse = config.load().warehouse.get("connection") if argv and str(argv[0]) == "load" else None
        setattr(task, _ATTRIBUTE, datasets(argv, result, warehouse))
    except Exception as e:  # noqa: BLE001 - lineage must never fail a task
        log.warning("no lineage for this task: %s", e)


try:
    from airflow.providers.openlineage.extractors.base import BaseExtractor, OperatorLineage
except ImportError:  # the provider is not installed: nothing emits lineage, nothing to extract
    BaseExtractor = None

if BaseExtractor is not None:

    class WorkerLineageExtractor(BaseExtractor):
        """Reports a worker task's datasets; other tasks of the same operator class get no datasets from it."""

        @classmethod
        def get_operator_classnames(cls) -> list[str]:
            return ["_PythonDecoratedOperator", "WorkerPodOperator", "DecoratedSensorOperator"]

        def _execute_extraction(self):
            return None  # known only once the worker ran

        def extract_on_complete(self, task_instance):
            found = getattr(self.operator, _ATTRIBUTE, None)
            if not found:
                return None
            from openlineage.client.event_v2 import Dataset

            inputs, outputs = found
            return OperatorLineage(inputs=[Dataset(namespace=n, name=t) for n, t in inputs],
                                   outputs=[Dataset(namespace=n, name=t) for n, t in outputs])

        def extract_on_failure(self, task_instance):
            return self.extract_on_complete(task_instance)
