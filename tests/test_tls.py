"""TLS verified the way libpq verifies it, by every client that connects to a database: the GX gate (psycopg2,
libpq itself) and the worker through the launcher (pgjdbc, held to libpq's rules). The local stack's instances serve
TLS with a certificate signed by a CA made at the stack's first start-up (TRIBUTARY_TLS_CA); TRIBUTARY_TLS_OTHER_CA
signed nothing here. A refusal fails the task without retry (a person must fix the CA or the host)."""

from __future__ import annotations

import os

import pytest
from airflow.sdk.exceptions import AirflowFailException

from conftest import REPO
from tributary import gate, worker

pytestmark = pytest.mark.stack


@pytest.fixture
def cas():
    ca, other = os.environ.get("TRIBUTARY_TLS_CA"), os.environ.get("TRIBUTARY_TLS_OTHER_CA")
    if not (ca and other):
        pytest.skip("the local stack's TLS CA is not in the environment (scripts/stack.sh up writes it)")
    return ca, other


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_STATE", str(tmp_path / "state"))


def _tls(uri: str, mode: str, ca: str) -> str:
    return f"{uri}?sslmode={mode}&sslrootcert={ca}"


def test_the_gate_verifies_the_server_and_refuses_another_ca_without_retry(scratch_db, psql, cas):
    ca, other = cas
    psql("CREATE TABLE public.fills (id bigint PRIMARY KEY); INSERT INTO public.fills VALUES (1), (2)")
    psql_ssl = gate.check(connection_uri=_tls(scratch_db, "verify-full", ca), table="public.fills", key=["id"],
                          expected_rows=2)
    assert psql_ssl["success"] is True
    with pytest.raises(AirflowFailException) as err:
        gate.check(connection_uri=_tls(scratch_db, "verify-full", other), table="public.fills", key=["id"],
                   expected_rows=2)
    assert "TLS refused" in str(err.value) and "certificate verify failed" in str(err.value)


def test_the_gate_takes_the_charts_libpq_defaults_for_a_uri_without_tls_settings(scratch_db, psql, cas, monkeypatch):
    """The Helm chart sets PGSSLMODE=verify-full and PGSSLROOTCERT (the mounted CA) in Airflow's pods: a connection
    URI that names neither verifies against that CA."""
    ca, other = cas
    psql("CREATE TABLE public.fills (id bigint PRIMARY KEY); INSERT INTO public.fills VALUES (1)")
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    monkeypatch.setenv("PGSSLROOTCERT", ca)
    assert gate.check(connection_uri=scratch_db, table="public.fills", key=["id"], expected_rows=1)["success"] is True
    monkeypatch.setenv("PGSSLROOTCERT", other)
    with pytest.raises(AirflowFailException, match="TLS refused"):
        gate.check(connection_uri=scratch_db, table="public.fills", key=["id"], expected_rows=1)


@pytest.mark.worker
def test_the_worker_through_the_launcher_refuses_another_ca_with_exit_2(consolidated_uri, cas):
    _, other = cas
    for mode in ("verify-full", "verify-ca", "require"):  # require + a CA file = verify-ca, as in libpq
        lines: list[str] = []
        with pytest.raises(worker.WorkerRejected) as err:
            worker.run(["status", "--config", str(REPO / "config" / "migration.yaml")],
                       worker=REPO / "bin" / "tributary",
                       conn_env={"TRIBUTARY_CONN_CONSOLIDATED": _tls(consolidated_uri, mode, other)},
                       stderr_sink=lines.append)
        assert isinstance(err.value, AirflowFailException) and err.value.exit_code == 2, mode
        assert "TLS refused" in str(err.value) or any("TLS refused" in line for line in lines), mode


@pytest.mark.worker
def test_the_worker_through_the_launcher_connects_with_verify_full(consolidated_uri, cas):
    ca, _ = cas
    out = worker.run(["status", "--config", str(REPO / "config" / "migration.yaml")],
                     worker=REPO / "bin" / "tributary",
                     conn_env={"TRIBUTARY_CONN_CONSOLIDATED": _tls(consolidated_uri, "verify-full", ca)})
    assert isinstance(out, dict)
