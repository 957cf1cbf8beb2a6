"""Dead workers' Pushgateway groups are deleted at the end of a DAG run; finished ones keep their figures."""

from __future__ import annotations

import os
import urllib.request

import pytest

from conftest import _unavailable

pytestmark = [pytest.mark.stack]


def _push(base: str, path: str, running: int, rows: int | None = None) -> None:
    # Typed as the worker types them: the Pushgateway refuses a metric whose type differs between groups.
    body = f"# TYPE tributary_job_running gauge\ntributary_job_running {running}\n"
    body += f"# TYPE tributary_rows_total counter\ntributary_rows_total {rows}\n" if rows is not None else ""
    urllib.request.urlopen(urllib.request.Request(base + path, data=body.encode(), method="PUT"), timeout=10)


def test_the_outcome_forgets_only_the_dead_workers_of_its_own_run():
    from tributary import pushgateway

    address = os.environ.get("TRIBUTARY_PUSHGATEWAY")
    if not address:
        _unavailable("TRIBUTARY_PUSHGATEWAY is not set: start the stack (make stack-up)")
    base = f"http://{address}"
    source = f"groups{os.getpid()}"
    killed = f"/metrics/job/copy/source/{source}/table/public.killed"
    finished = f"/metrics/job/copy/source/{source}/table/public.finished"
    elsewhere = f"/metrics/job/copy/source/{source}/table/public.other_run"
    odd = "/metrics/job/copy/source/" + source + "/table@base64/" + __import__("base64").urlsafe_b64encode(
        b'odd/"Name"').decode()
    _push(base, killed, 1)
    _push(base, finished, 0, rows=500)
    _push(base, elsewhere, 1)
    _push(base, odd, 1)
    try:
        jobs = [{"source": source, "table": t} for t in ("public.killed", "public.finished", 'odd/"Name"')]
        gone = pushgateway.forget_dead_workers(["copy"], jobs, address)
        assert sorted(g["table"] for g in gone) == ['odd/"Name"', "public.killed"]
        served = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
        mine = [line for line in served.splitlines() if f'source="{source}"' in line and not line.startswith("#")]
        assert not any("public.killed" in line or "odd/" in line for line in mine), mine
        assert any("public.finished" in line and line.startswith("tributary_rows_total") and line.endswith(" 500")
                   for line in mine), mine
        assert any("public.other_run" in line for line in mine), mine  # not this run's table: untouched
        assert pushgateway.forget_dead_workers(["copy"], jobs, "127.0.0.1:9") == []  # nobody there: a warning
    finally:
        for path in (killed, finished, elsewhere, odd):
            urllib.request.urlopen(urllib.request.Request(base + path, method="DELETE"), timeout=10)
