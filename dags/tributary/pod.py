"""The worker as a Kubernetes pod (``TRIBUTARY_LAUNCHER=kubernetes``); built by ``worker.pod_operator``.

A pod keeps the worker contract the subprocess launcher keeps (worker.py): the container's exit code
decides retry or not (2, 3 and 5 fail at once, 4 and 1 use the task's retries), the JSON result reaches
XCom on failure too (the provider pushes what the sidecar read from ``/airflow/xcom/return.json``), and
the pod's log lines are redacted with the same redactor before they reach the task log, and its datasets
go to OpenLineage as a subprocess's do (lineage.py).
"""

from __future__ import annotations

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk.exceptions import AirflowException

POD_RESULT_FILE = "/airflow/xcom/return.json"  # where KubernetesPodOperator's sidecar reads XCom
BASE_CONTAINER = "base"


def with_result_file(args: list[str]) -> list[str]:
    return args if "--result-file" in args else [*args, "--result-file", POD_RESULT_FILE]


def container_exit(remote_pod, container: str = BASE_CONTAINER) -> int | None:
    """The worker container's exit code; a container the kernel killed for its memory limit counts as exit 5."""
    from tributary.worker import EXIT_OUT_OF_MEMORY

    statuses = (remote_pod.status.container_statuses if remote_pod and remote_pod.status else None) or []
    for status in statuses:
        terminated = status.state.terminated if status.name == container and status.state else None
        if terminated is not None:
            return EXIT_OUT_OF_MEMORY if terminated.reason == "OOMKilled" else terminated.exit_code
    return None


def log_redactor(connection_ids):
    """``(container, line) -> line`` for KubernetesPodOperator's ``log_formatter``: the launcher's redaction over
    the secrets of the connections the pod receives (read from Airflow Connections, as the subprocess mode does)."""
    from tributary import connections
    from tributary.worker import _redactor, _secret_parts

    conn_env = {}
    for cid in connection_ids:
        try:
            conn_env.update(connections.worker_env([cid]))
        except Exception:  # noqa: BLE001 - a pod-only Secret without an Airflow Connection: nothing to redact with
            continue
    redact = _redactor(_secret_parts(conn_env))
    return lambda container, line: f"[{container}] {redact(line)}"


class WorkerPodOperator(KubernetesPodOperator):
    """KubernetesPodOperator for one worker command: ``--result-file`` for XCom, exit codes mapped, logs redacted."""

    def __init__(self, *, connection_ids=(), **kwargs):
        super().__init__(**kwargs)
        self.connection_ids = list(connection_ids)

    def build_pod_request_obj(self, context=None, **kwargs):
        # `arguments` is templated (it may come from an XComArg), so the flag is added once rendered.
        self.arguments = with_result_file([str(a) for a in (self.arguments or [])])
        return super().build_pod_request_obj(context, **kwargs)

    def execute(self, context):
        # Connections are read when the task runs, never at parse time.
        from tributary import lineage

        self.log_formatter = log_redactor(self.connection_ids)
        result = super().execute(context)
        lineage.record(self, self.arguments, result if isinstance(result, dict) else None)
        return result

    def cleanup(self, pod, remote_pod, xcom_result=None, context=None):
        try:
            return super().cleanup(pod, remote_pod, xcom_result=xcom_result, context=context)
        except AirflowException as failure:
            from tributary import lineage

            lineage.record(self, self.arguments or [], xcom_result if isinstance(xcom_result, dict) else None)
            code = container_exit(remote_pod)
            if code is None:
                raise
            from tributary.worker import _outcome

            command = next(iter(self.arguments or []), "?")
            _outcome(command, code, xcom_result if isinstance(xcom_result, dict) else None,
                     [str(failure).splitlines()[0]])  # raises the contract's exception for this exit code
            raise
