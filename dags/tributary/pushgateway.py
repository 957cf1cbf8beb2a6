"""The DAGs' side of worker metrics: the Pushgateway groups of workers that died without their last push go.

A worker pushes ``tributary_job_running 1`` while it runs and 0 at its end. One that was killed (SIGKILL, an
evicted pod, the kernel's out-of-memory killer) never pushes 0, so its group would say "running" forever and
``TributaryCopyStalled`` would never resolve. When a DAG run ends every worker of it has ended, so its outcome
task deletes the groups of this run's jobs that still say running. Groups of workers that ended keep their
figures (the dashboard's totals); the next run of a job replaces its group anyway.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import urllib.request
from typing import Any, Iterable

log = logging.getLogger(__name__)


def _base(address: str) -> str:
    address = address.strip().rstrip("/")
    return address if address.startswith(("http://", "https://")) else f"http://{address}"


def _group_path(labels: dict[str, str]) -> str:
    """``/metrics/job@base64/<job>/<label>@base64/<value>...``: base64 so any table name (a '/' too) is one segment."""
    def b64(value: str) -> str:
        return base64.urlsafe_b64encode(value.encode()).decode() or "="

    rest = sorted((k, v) for k, v in labels.items() if k != "job")
    return "/metrics/job@base64/" + b64(labels["job"]) + "".join(f"/{k}@base64/{b64(v)}" for k, v in rest)


def forget_dead_workers(commands: Iterable[str], jobs: Iterable[dict[str, Any]], address: str | None = None) -> list[dict]:
    """Deletes the groups of ``commands`` on the (source, table) of ``jobs`` that still say running; returns their
    labels. No Pushgateway configured, or one that does not answer: a warning, never a failed task."""
    address = address or os.environ.get("TRIBUTARY_PUSHGATEWAY", "")
    if not address.strip():
        return []
    commands = set(commands)
    ours = {(j.get("source"), j.get("table")) for j in jobs}
    base = _base(address)
    try:
        groups = json.loads(urllib.request.urlopen(f"{base}/api/v1/metrics", timeout=10).read())["data"]
    except (OSError, ValueError, KeyError) as e:
        log.warning("could not read the Pushgateway at %s: %s (dead workers' groups stay)", address, e)
        return []
    forgotten = []
    for group in groups:
        labels = group.get("labels", {})
        running = (group.get("tributary_job_running") or {}).get("metrics") or [{}]
        if labels.get("job") not in commands or (labels.get("source"), labels.get("table")) not in ours:
            continue
        if float(running[0].get("value") or 0) != 1:
            continue
        try:
            urllib.request.urlopen(urllib.request.Request(base + _group_path(labels), method="DELETE"), timeout=10)
        except OSError as e:
            log.warning("could not delete the Pushgateway group %s: %s", labels, e)
            continue
        log.info("worker %s on %s.%s ended without its last push (killed?): its metrics group is deleted",
                 labels["job"], labels.get("source"), labels.get("table"))
        forgotten.append(labels)
    return forgotten


def push_group(labels: dict[str, str], metrics: dict[str, tuple[str, str, float]], address: str | None = None) -> bool:
    """PUT one group (replacing its previous figures): ``metrics`` is ``name -> (type, help, value)``. Like the
    worker's pushes, a Pushgateway that is not configured or does not answer is a warning, never a failed task."""
    address = address or os.environ.get("TRIBUTARY_PUSHGATEWAY", "")
    if not address.strip():
        return False
    lines = []
    for name, (kind, text, value) in metrics.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {float(value)!r}"]
    body = ("\n".join(lines) + "\n").encode()
    request = urllib.request.Request(_base(address) + _group_path(labels), data=body, method="PUT",
                                     headers={"Content-Type": "text/plain; version=0.0.4"})
    try:
        urllib.request.urlopen(request, timeout=10)
        return True
    except OSError as e:
        log.warning("could not push %s to the Pushgateway at %s: %s", labels, address, e)
        return False
