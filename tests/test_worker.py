"""The worker launcher: exit-code mapping, live stderr, secret hygiene (against the real worker)."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from tributary import connections, worker

REPO = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t-Pa55word"
FAKE_ENV = {"TRIBUTARY_CONN_SRC_EU": f"postgresql://tributary:{SECRET}@127.0.0.1:1/trading"}


def fake_worker(tmp_path, body: str) -> Path:
    """A stand-in CLI for the exit-code mapping only; the real worker is used below where it matters."""
    exe = tmp_path / "tributary"
    exe.write_text("#!/usr/bin/env bash\n" + textwrap.dedent(body))
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


@pytest.mark.parametrize(
    "code, exc, retryable",
    [(2, AirflowFailException, False), (3, AirflowFailException, False), (4, AirflowException, True), (1, AirflowException, True)],
)
def test_exit_codes_map_to_fail_or_retry(tmp_path, code, exc, retryable):
    exe = fake_worker(tmp_path, f"""
        echo "worker says: something went wrong" >&2
        echo '{{"error": "the one-line reason", "exit_code": {code}}}'
        exit {code}
    """)
    with pytest.raises(exc) as err:
        worker.run(["copy", "--table", "public.users"], worker=exe, conn_env=FAKE_ENV)
    assert isinstance(err.value, AirflowFailException) is (not retryable)
    assert "the one-line reason" in str(err.value) and f"exit {code}" in str(err.value)


def test_result_is_the_last_stdout_line_and_stderr_streams(tmp_path):
    exe = fake_worker(tmp_path, """
        echo "progress 50%" >&2
        echo "not json"
        echo '{"table": "public.users", "rows": 3, "checksum": "00ff"}'
    """)
    lines = []
    out = worker.run(["checksum", "--table", "public.users"], worker=exe, conn_env=FAKE_ENV, stderr_sink=lines.append)
    assert out == {"table": "public.users", "rows": 3, "checksum": "00ff"}
    assert lines == ["progress 50%"]


def test_child_gets_only_the_named_connections(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_CONN_OTHER", "postgresql://x:other-secret@h/db")
    monkeypatch.setenv("AIRFLOW_CONN_OTHER", "postgresql://x:other-secret@h/db")
    exe = fake_worker(tmp_path, """
        python3 -c 'import json,os; print(json.dumps(sorted(k for k in os.environ if "CONN" in k)))'
    """)
    # the result is a list, not an object: the launcher only accepts a JSON object as a result
    with pytest.raises(AirflowException, match="without a JSON result"):
        worker.run(["status"], worker=exe, conn_env=FAKE_ENV)
    exe = fake_worker(tmp_path, """
        python3 -c 'import json,os; print(json.dumps({"conns": sorted(k for k in os.environ if "CONN" in k)}))'
    """)
    assert worker.run(["status"], worker=exe, conn_env=FAKE_ENV) == {"conns": ["TRIBUTARY_CONN_SRC_EU"]}


def test_secrets_are_redacted_from_streamed_stderr_and_refused_in_argv(tmp_path):
    exe = fake_worker(tmp_path, f"""
        echo "oops: $TRIBUTARY_CONN_SRC_EU" >&2
        echo '{{"ok": true}}'
    """)
    lines = []
    worker.run(["status"], worker=exe, conn_env=FAKE_ENV, stderr_sink=lines.append)
    assert lines and all(SECRET not in l for l in lines) and "***" in lines[0]
    with pytest.raises(AirflowFailException, match="contains a connection secret"):
        worker.run(["copy", "--note", SECRET], worker=exe, conn_env=FAKE_ENV)


def test_every_form_of_a_secret_is_redacted(tmp_path):
    """Query-string passwords, sslpassword, S3 session tokens, JSON-escaped and short passwords: none reaches a log."""
    env = {"TRIBUTARY_CONN_A": "postgresql://127.0.0.1:1/db?user=u&password=qp-S3cret&sslpassword=kp-S3cret",
           "TRIBUTARY_CONN_B": 'postgresql://u:q%22uo%5Cte@127.0.0.1:1/db',
           "TRIBUTARY_CONN_S3": "s3://AK:sk-S3cret@127.0.0.1:1?region=us-east-1&session_token=tok-S3cret",
           "TRIBUTARY_CONN_C": "postgresql://u:Zq9@127.0.0.1:1/db"}
    exe = fake_worker(tmp_path, r"""
        echo "query qp-S3cret ssl kp-S3cret token tok-S3cret" >&2
        echo '{"error": "login failed for q\"uo\\te", "short": "pw Zq9 here, not in aZq9b"}' >&2
        echo '{"ok": true}'
    """)
    lines = []
    worker.run(["status"], worker=exe, conn_env=env, stderr_sink=lines.append)
    text = "\n".join(lines)
    for secret in ("qp-S3cret", "kp-S3cret", "tok-S3cret", 'q\\"uo\\\\te', " Zq9 "):
        assert secret not in text, (secret, text)
    assert "pw *** here" in text and "aZq9b" in text, text


def test_a_short_password_that_is_a_word_of_argv_does_not_block_or_tell(tmp_path):
    """A password 'copy' must not refuse every copy (nor tell an observer that the password is in argv); a real
    secret in an argument is still refused."""
    exe = fake_worker(tmp_path, """
        echo '{"ok": true}'
    """)
    env = {"TRIBUTARY_CONN_SRC_EU": "postgresql://tributary:copy@127.0.0.1:1/trading"}
    assert worker.run(["copy", "--table", "public.copy_log"], worker=exe, conn_env=env) == {"ok": True}
    with pytest.raises(AirflowFailException, match="contains a connection secret"):
        worker.run(["copy", "--note", "x" + SECRET + "y"], worker=exe, conn_env=FAKE_ENV)
    with pytest.raises(AirflowFailException, match="contains a connection secret"):
        worker.run(["copy", "--note", env["TRIBUTARY_CONN_SRC_EU"]], worker=exe, conn_env=env)


def test_airflow_connections_render_as_worker_uris():
    from airflow.models.connection import Connection

    pg = Connection(conn_id="src_eu", conn_type="postgres", host="127.0.0.1", port=54311, login="tributary",
                    password="p@ss/word", schema="trading", extra={"sslmode": "require"})
    assert connections.to_uri(pg) == "postgresql://tributary:p%40ss%2Fword@127.0.0.1:54311/trading?sslmode=require"
    s3 = Connection(conn_id="s3", conn_type="aws", login="AK", password="SK",
                    extra={"endpoint_url": "http://127.0.0.1:54340", "region_name": "us-east-1"})
    assert connections.to_uri(s3) == "s3://AK:SK@127.0.0.1:54340?region=us-east-1&scheme=http"


@pytest.mark.worker
def test_real_worker_rejects_a_bad_config_with_exit_2_and_no_retry(tmp_path):
    bad = tmp_path / "migration.yaml"
    bad.write_text((REPO / "config" / "migration.yaml").read_text().replace("id: src_us", "id: US-East"))
    lines = []
    with pytest.raises(worker.WorkerRejected) as err:
        worker.run(["validate-config", "--config", str(bad)], worker=REPO / "bin" / "tributary",
                   conn_env=FAKE_ENV, stderr_sink=lines.append)
    assert isinstance(err.value, AirflowFailException) and err.value.exit_code == 2
    assert "$.sources[1].id" in str(err.value) or any("$.sources[1].id" in l for l in lines)
    assert all(SECRET not in l for l in lines) and SECRET not in str(err.value)


@pytest.mark.worker
def test_real_worker_accepts_the_committed_config():
    out = worker.run(["validate-config", "--config", str(REPO / "config" / "migration.yaml")],
                     worker=REPO / "bin" / "tributary", conn_env={})
    import yaml

    committed = yaml.safe_load((REPO / "config" / "migration.yaml").read_text())
    assert out["valid"] is True
    assert out["consolidate_tables"] == len(committed["consolidate"]["tables"]) > 0


@pytest.mark.worker
def test_real_worker_out_of_memory_is_exit_5_with_a_result_and_no_retry(tmp_path, monkeypatch):
    """The JVM's own ExitOnOutOfMemoryError would exit 3 ("data differs"); bin/tributary says 5 and why."""
    monkeypatch.setenv("TRIBUTARY_JAVA_OPTS", "-Xms2m -Xmx3m")  # too small to even parse the config
    with pytest.raises(worker.WorkerRejected) as err:
        worker.run(["validate-config", "--config", str(REPO / "config" / "migration.yaml")],
                   worker=REPO / "bin" / "tributary", conn_env={})
    assert isinstance(err.value, AirflowFailException)
    assert err.value.exit_code == worker.EXIT_OUT_OF_MEMORY == 5
    assert err.value.result["exit_code"] == 5 and "out of memory" in err.value.result["error"]
    assert "exit 5 (out of memory" in str(err.value)
