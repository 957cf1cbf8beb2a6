"""The one worker launcher: every DAG step that moves or checks data runs ``tributary <command>``.

``worker_task()`` returns the Airflow task for a worker call in the mode chosen by
``TRIBUTARY_LAUNCHER``: ``subprocess`` (default; local runs, ``airflow dags test``) runs
``bin/tributary`` beside Airflow, ``kubernetes`` runs the worker image with KubernetesPodOperator.
Both pass the worker's JSON result line to XCom and feed it connections only through its
environment (``TRIBUTARY_CONN_<ID>``), never argv.

Exit codes (ARCHITECTURE.md, docs/architecture.md): 0 ok, 2 bad input / 3 verification failed /
5 out of memory -> fail without retry, 4 retryable infrastructure fault -> retry, 1 or anything else
-> fail (Airflow's retry policy). A failed worker's JSON result still reaches XCom.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from tributary import connections, paths

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_VERIFICATION, EXIT_RETRYABLE = 0, 1, 2, 3, 4
# bin/tributary's (and the worker image's) exit when the JVM ran out of memory, or the kernel killed the
# container for its memory limit: the same memory fails the same way again, so no retry.
EXIT_OUT_OF_MEMORY = 5
_EXIT_MEANING = {
    EXIT_FAILED: "failed",
    EXIT_BAD_INPUT: "bad input or config, nothing changed",
    EXIT_VERIFICATION: "verification failed, the data differs",
    EXIT_RETRYABLE: "retryable infrastructure fault",
    EXIT_OUT_OF_MEMORY: "out of memory: raise the worker's memory or lower chunk_rows/parallelism",
}
_NOT_RETRIED = (EXIT_BAD_INPUT, EXIT_VERIFICATION, EXIT_OUT_OF_MEMORY)
# Parent variables a worker must not inherit: other connections' secrets (the stack's APP_CONN_* are the
# applications' own, through PgBouncer) and Airflow's own settings.
_WITHHELD_PREFIXES = ("TRIBUTARY_CONN_", "TRIBUTARY_GX_CONN", "AIRFLOW_CONN_", "AIRFLOW_VAR_", "AIRFLOW__", "PSQL_ADMIN_",
                      "APP_CONN_")


class WorkerError(AirflowException):
    """Retryable worker failure (exit 1, 4, or a signal); carries the worker's result, if any."""

    def __init__(self, message: str, exit_code: int, result: dict | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.result = result


class WorkerRejected(AirflowFailException):
    """Worker exit 2, 3 or 5: retrying cannot help, so the task fails at once."""

    def __init__(self, message: str, exit_code: int, result: dict | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.result = result


def task_defaults(cfg, **delay: float) -> dict[str, Any]:
    """Every DAG's ``default_args``: retries with backoff, and an ``execution_timeout`` of the shortest low-trading
    window of migration.yaml (timetable.shortest_window), so no try runs on into trading hours."""
    from tributary import timetable

    return {"retries": 2, "retry_delay": retry_delay(**delay), "retry_exponential_backoff": True,
            "execution_timeout": timetable.shortest_window(cfg.warehouse_schedule)}


def retry_delay(**delay: float) -> timedelta:
    """A DAG's wait between task retries (``timedelta(**delay)``), or ``TRIBUTARY_RETRY_DELAY_SECONDS`` when set:
    the tests set 1 s so a retried exit 4 does not wait out real 20 s, 40 s, ... (read at parse time)."""
    override = os.environ.get("TRIBUTARY_RETRY_DELAY_SECONDS", "").strip()
    return timedelta(seconds=float(override)) if override else timedelta(**delay)


def launcher_mode() -> str:
    mode = os.environ.get("TRIBUTARY_LAUNCHER", "subprocess").strip().lower()
    if mode not in ("subprocess", "kubernetes"):
        raise ValueError(f"TRIBUTARY_LAUNCHER={mode!r}: expected subprocess or kubernetes")
    return mode


def config_path_for_worker() -> str:
    """migration.yaml as the worker sees it: the checkout locally, the mounted ConfigMap in a pod."""
    if launcher_mode() == "kubernetes":
        return os.environ.get("TRIBUTARY_WORKER_CONFIG", "/etc/tributary/migration.yaml")
    return str(paths.config_path())


# --------------------------------------------------------------------------------------------
# subprocess mode


def _child_env(conn_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_WITHHELD_PREFIXES)}
    env.update(conn_env)
    return env


# Query parameters of a connection URI that carry a secret (libpq's, and the S3 URI's session token).
SECRET_PARAMETERS = ("password", "sslpassword", "session_token")


def _redactor(secrets: Iterable[str]):
    """Replaces every secret in a text with ***. Longest first, so a password inside a URI never leaves a partial
    secret behind; a secret under 4 characters only where it stands alone (not inside a longer word), else every
    log line would be mangled wherever those letters occur."""
    needles = sorted({s for s in secrets if s}, key=len, reverse=True)
    patterns = [re.compile(re.escape(n) if len(n) >= 4 else rf"(?<![A-Za-z0-9]){re.escape(n)}(?![A-Za-z0-9])")
                for n in needles]

    def redact(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub("***", text)
        return text

    return redact


def _secret_parts(conn_env: dict[str, str]) -> list[str]:
    """The URIs and every secret in them (userinfo password, password/sslpassword/session_token parameters), as
    written, decoded and JSON-escaped (how a result line would carry them): what must never reach argv or a log."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = []
    for uri in conn_env.values():
        parts.append(uri)
        split = urlsplit(uri)
        values = [split.password] if split.password else []
        values += [v for k, v in parse_qsl(split.query, keep_blank_values=False) if k in SECRET_PARAMETERS]
        for value in values:
            for form in {value, unquote(value)}:
                parts += [form, json.dumps(form)[1:-1]]
    return parts


def _argv_leaks(argv: Sequence[str], secrets: Sequence[str]) -> bool:
    """Does an argument carry a secret? A whole URI or an argument that is a secret always counts; a secret inside
    an argument counts from 8 characters, where it cannot be a coincidence (a password 'copy' is not leaked by the
    command name). The command word itself is the worker's fixed vocabulary."""
    for arg in argv[1:]:
        for secret in secrets:
            if arg == secret or (len(secret) >= 8 and secret in arg):
                return True
    return False


def _last_json_line(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return None


def run(
    argv: Sequence[str],
    connection_ids: Sequence[str] = (),
    *,
    worker: str | os.PathLike | None = None,
    conn_env: dict[str, str] | None = None,
    timeout: float | None = None,
    stderr_sink=None,
) -> dict:
    """Run ``tributary <argv...> --result-file <tmp>`` and return its JSON result.

    ``conn_env`` overrides the Airflow lookup of ``connection_ids`` (tests, tools outside a task).
    ``stderr_sink(line)`` receives each (redacted) stderr line as it arrives; default: this module's log.
    """
    argv = [str(a) for a in argv]
    if not argv:
        raise ValueError("argv must start with the worker command")
    command = argv[0]
    if conn_env is None:
        conn_env = connections.worker_env(list(connection_ids))
    secrets = _secret_parts(conn_env)
    redact = _redactor(secrets)
    if _argv_leaks(argv, secrets):
        # Defence in depth: a secret in argv would show in `ps`, task logs and the pod spec.
        raise AirflowFailException(f"refusing to start tributary {command}: an argument contains a connection secret")
    sink = stderr_sink or (lambda line: log.info("%s", line))
    exe = str(worker or paths.worker_path())

    with tempfile.TemporaryDirectory(prefix="tributary-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [exe, *argv, "--result-file", str(result_file)]
        log.info("running: %s", " ".join(cmd))
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_child_env(conn_env),
            text=True,
            errors="replace",
            start_new_session=True,  # own process group: a killed task takes the JVM with it
        )
        stdout_chunks: list[str] = []
        stderr_tail: list[str] = []

        def pump_stderr() -> None:
            for line in proc.stderr:
                line = redact(line.rstrip("\n"))
                stderr_tail[:] = (stderr_tail + [line])[-20:]
                sink(line)

        def pump_stdout() -> None:
            stdout_chunks.append(proc.stdout.read())

        threads = [threading.Thread(target=f, daemon=True) for f in (pump_stderr, pump_stdout)]
        for t in threads:
            t.start()
        try:
            code = proc.wait(timeout=timeout)
        except BaseException:
            # Task killed, timed out or interrupted: stop the worker group before re-raising.
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise
        finally:
            for t in threads:
                t.join(timeout=10)

        stdout = redact("".join(stdout_chunks))
        result = _last_json_line(stdout)
        if result is None and result_file.exists():
            result = _last_json_line(redact(result_file.read_text(errors="replace")))

    return _outcome(command, code, result, stderr_tail)


def _outcome(command: str, code: int, result: dict | None, stderr_tail: list[str]) -> dict:
    if code == EXIT_OK:
        if result is None:
            raise WorkerError(f"tributary {command} exited 0 without a JSON result line on stdout", code)
        return result
    message = (result or {}).get("error") or next((l for l in reversed(stderr_tail) if l.strip()), "no message")
    meaning = _EXIT_MEANING.get(code, f"killed by signal {-code}" if code < 0 else "failed")
    text = f"tributary {command} exit {code} ({meaning}): {message}"
    if code in _NOT_RETRIED:
        raise WorkerRejected(text, code, result)
    raise WorkerError(text, code, result)


# --------------------------------------------------------------------------------------------
# Airflow tasks


def map_label(argv: Sequence[Any]) -> str:
    """What a mapped worker task works on, for the Airflow UI (``map_index_template``): ``source.schema.table``
    (or ``conn.schema.table``) plus the partition, instead of ``copy[17]``."""
    argv = [str(a) for a in argv]

    def value(flag: str) -> str | None:
        return argv[argv.index(flag) + 1] if flag in argv[:-1] else None

    where = value("--source") or value("--conn")
    table = value("--table")
    label = ".".join(p for p in (where, table) if p) if table and not table.startswith(f"{where}:") else (table or "")
    partition = value("--partition")
    return f"{label} {partition}" if partition else label


MAP_INDEX_TEMPLATE = "{{ tributary_table }}"


def _label_run(argv: Sequence[Any]) -> None:
    from airflow.sdk import get_current_context

    get_current_context()["tributary_table"] = map_label(argv)


def _run_in_task(argv: list[str], connection_ids: list[str]) -> dict:
    from airflow.sdk import get_current_context

    from tributary import lineage

    _label_run(argv)
    context = get_current_context()
    try:
        result = run(argv, connection_ids)
    except (WorkerError, WorkerRejected) as failure:
        lineage.record(context["task"], argv, failure.result)
        # As a pod does (pod.py): the failed worker's JSON result is still this task's XCom.
        if failure.result is not None:
            context["ti"].xcom_push(key="return_value", value=failure.result)
        raise
    lineage.record(context["task"], argv, result)
    return result


def worker_task(*, task_id: str, argv: Any, connection_ids: Sequence[str],
                secret_env: Mapping[str, tuple[str, str]] | None = None, **task_kwargs):
    """The task that runs one worker command; ``argv`` may be a list or an XComArg resolving to one.

    ``connection_ids`` is fixed when the DAG is parsed (a pod's env is), so phase DAGs pass the
    connections that phase may touch; each worker still opens only those its command names.
    ``secret_env`` (variable -> (Kubernetes Secret, key)): further secrets a pod gets from Secrets,
    e.g. the archive's raw-aes master key; a subprocess inherits them from Airflow's environment.
    """
    task_kwargs.setdefault("map_index_template", MAP_INDEX_TEMPLATE)
    if launcher_mode() == "kubernetes":
        return pod_operator(task_id=task_id, argv=argv, connection_ids=connection_ids, secret_env=secret_env,
                            **task_kwargs)
    from airflow.sdk import task

    return task(task_id=task_id, **task_kwargs)(_run_in_task)(argv=argv, connection_ids=list(connection_ids))


def _poke_worker(argv: list[str], connection_ids: list[str]):
    """One poke of a worker sensor: exit 0 is done (its result is the XCom), exit 4 is "not yet"."""
    from airflow.sdk import PokeReturnValue

    from airflow.sdk import get_current_context

    from tributary import lineage

    _label_run(argv)
    try:
        result = run(argv, connection_ids)
        lineage.record(get_current_context()["task"], argv, result)
        return PokeReturnValue(is_done=True, xcom_value=result)
    except WorkerError as not_yet:
        if not_yet.exit_code != EXIT_RETRYABLE:
            raise
        log.info("not yet: %s", not_yet)
        return PokeReturnValue(is_done=False)


def worker_sensor(*, task_id: str, argv: Any, connection_ids: Sequence[str], poke_interval: timedelta,
                  timeout: timedelta, **task_kwargs):
    """A worker command polled until it exits 0 (exit 4 = not yet), e.g. restore's thaw while S3 restores from
    GLACIER: a sensor in reschedule mode frees its worker slot between pokes instead of burning ``retries``.

    In kubernetes mode it is the pod task with as many retries as pokes fit in ``timeout`` (a pod per poke)."""
    if launcher_mode() == "kubernetes":
        pokes = max(1, int(timeout / poke_interval))
        return pod_operator(task_id=task_id, argv=argv, connection_ids=connection_ids, retries=pokes,
                            retry_delay=poke_interval, retry_exponential_backoff=False, **task_kwargs)
    from airflow.sdk import task

    return task.sensor(task_id=task_id, mode="reschedule", poke_interval=poke_interval, timeout=timeout,
                       retries=0, **task_kwargs)(_poke_worker)(argv=argv, connection_ids=list(connection_ids))


# --------------------------------------------------------------------------------------------
# kubernetes mode


def secret_name(conn_id: str) -> str:
    """Kubernetes Secret holding one connection (key ``uri``); names are DNS-1123: no underscores."""
    return "tributary-conn-" + conn_id.lower().replace("_", "-")


def pod_env(connection_ids: Sequence[str]):
    from kubernetes.client import models as k8s

    return [
        k8s.V1EnvVar(
            name=connections.env_name(cid),
            value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name=secret_name(cid), key="uri")),
        )
        for cid in connection_ids
    ]


def _pushgateway_env():
    """Workers push metrics where Airflow was told to (no secret: an in-cluster service address)."""
    from kubernetes.client import models as k8s

    address = os.environ.get("TRIBUTARY_PUSHGATEWAY")
    return [k8s.V1EnvVar(name="TRIBUTARY_PUSHGATEWAY", value=address)] if address else []


# Where the CA of the chart's global.tributary.tls.caSecret is mounted, in the Airflow pods and every worker pod.
TLS_CA_DIR = "/etc/tributary-tls"


def _tls(env=os.environ):
    """libpq's TLS defaults as Airflow has them (PGSSLMODE, PGSSLROOTCERT: the chart sets them) and the CA Secret
    (TRIBUTARY_TLS_CA_SECRET, key TRIBUTARY_TLS_CA_KEY) mounted read-only at the same path in the worker pod, so the
    worker verifies exactly as the gate and the launcher do in Airflow's own pods."""
    from kubernetes.client import models as k8s

    env_vars = [k8s.V1EnvVar(name=n, value=env[n]) for n in ("PGSSLMODE", "PGSSLROOTCERT") if env.get(n)]
    secret = env.get("TRIBUTARY_TLS_CA_SECRET")
    if not secret:
        return env_vars, [], []
    volume = k8s.V1Volume(name="tributary-tls-ca", secret=k8s.V1SecretVolumeSource(
        secret_name=secret, items=[k8s.V1KeyToPath(key=env.get("TRIBUTARY_TLS_CA_KEY") or "ca.crt", path="ca.crt")]))
    mount = k8s.V1VolumeMount(name="tributary-tls-ca", mount_path=TLS_CA_DIR, read_only=True)
    return env_vars, [volume], [mount]


def _secret_env(secret_env: Mapping[str, tuple[str, str]] | None):
    from kubernetes.client import models as k8s

    return [
        k8s.V1EnvVar(name=name, value_from=k8s.V1EnvVarSource(secret_key_ref=k8s.V1SecretKeySelector(name=sec, key=key)))
        for name, (sec, key) in sorted((secret_env or {}).items())
    ]


def pod_operator(*, task_id: str, argv: Any, connection_ids: Sequence[str],
                 secret_env: Mapping[str, tuple[str, str]] | None = None, **kwargs):
    from kubernetes.client import models as k8s

    from tributary.pod import WorkerPodOperator  # imported late: the kubernetes client is heavy

    env = os.environ.get
    resources = k8s.V1ResourceRequirements(
        requests={"cpu": env("TRIBUTARY_WORKER_CPU", "1"), "memory": env("TRIBUTARY_WORKER_MEMORY", "1Gi")},
        limits={"memory": env("TRIBUTARY_WORKER_MEMORY_LIMIT", "2Gi")},
    )
    config_volume = k8s.V1Volume(
        name="tributary-config", config_map=k8s.V1ConfigMapVolumeSource(name=env("TRIBUTARY_CONFIGMAP", "tributary-config"))
    )
    tls_env, tls_volumes, tls_mounts = _tls()
    return WorkerPodOperator(
        task_id=task_id,
        connection_ids=connection_ids,
        name=f"tributary-{task_id.split('.')[-1].replace('_', '-')}",
        # Unset: the namespace Airflow itself runs in (the Helm release's), read in-cluster by the provider.
        namespace=env("TRIBUTARY_K8S_NAMESPACE") or None,
        image=env("TRIBUTARY_WORKER_IMAGE", "tributary/worker:dev"),
        arguments=argv,  # the image's ENTRYPOINT is the CLI, so argv starts with the command
        env_vars=pod_env(connection_ids) + _secret_env(secret_env) + _pushgateway_env() + tls_env,
        volumes=[config_volume, *tls_volumes],
        volume_mounts=[k8s.V1VolumeMount(name="tributary-config", mount_path="/etc/tributary", read_only=True),
                       *tls_mounts],
        container_resources=resources,
        # The image's own unprivileged user (docker/worker.Dockerfile); nothing to escalate, no capabilities.
        security_context=k8s.V1PodSecurityContext(run_as_non_root=True, run_as_user=10001, run_as_group=10001,
                                                  fs_group=10001, seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault")),
        container_security_context=k8s.V1SecurityContext(allow_privilege_escalation=False,
                                                         capabilities=k8s.V1Capabilities(drop=["ALL"])),
        do_xcom_push=True,
        get_logs=True,
        on_finish_action="delete_succeeded_pod",  # keep failed pods for a post-mortem
        labels={"app.kubernetes.io/name": "tributary-worker"},
        **kwargs,
    )
