"""Kubernetes mode: the worker pod spec, built without a cluster (build_pod_request_obj)."""

from __future__ import annotations

import pytest


@pytest.fixture
def kubernetes_mode(monkeypatch):
    monkeypatch.setenv("TRIBUTARY_LAUNCHER", "kubernetes")
    monkeypatch.setenv("TRIBUTARY_WORKER_IMAGE", "registry.example/tributary/worker:1.2.3")
    monkeypatch.setenv("TRIBUTARY_PUSHGATEWAY", "tributary-pushgateway:9091")


def test_worker_pod_runs_the_image_with_args_and_secret_env(kubernetes_mode):
    from tributary import worker
    from tributary.pod import WorkerPodOperator

    argv = ["copy", "--config", "/etc/tributary/migration.yaml", "--source", "src_eu", "--table", "public.users"]
    op = worker.worker_task(task_id="copy", argv=argv, connection_ids=["src_eu", "consolidated"])
    assert isinstance(op, WorkerPodOperator) and op.do_xcom_push is True

    pod = op.build_pod_request_obj(dry_run=True)
    [container] = [c for c in pod.spec.containers if c.name == "base"]
    assert container.image == "registry.example/tributary/worker:1.2.3"
    assert container.args == [*argv, "--result-file", "/airflow/xcom/return.json"]
    env = {e.name: e for e in container.env}
    for cid, secret in (("SRC_EU", "tributary-conn-src-eu"), ("CONSOLIDATED", "tributary-conn-consolidated")):
        ref = env[f"TRIBUTARY_CONN_{cid}"].value_from.secret_key_ref
        assert (ref.name, ref.key) == (secret, "uri") and env[f"TRIBUTARY_CONN_{cid}"].value is None
    assert env["TRIBUTARY_PUSHGATEWAY"].value == "tributary-pushgateway:9091"
    assert container.resources.requests["cpu"] and container.resources.limits["memory"]
    assert pod.spec.security_context.run_as_non_root is True and pod.spec.security_context.run_as_user == 10001
    assert container.security_context.allow_privilege_escalation is False
    assert container.security_context.capabilities.drop == ["ALL"]
    assert any(m.mount_path == "/etc/tributary" for m in container.volume_mounts)
    # do_xcom_push adds the sidecar that reads /airflow/xcom/return.json
    assert any(c.name == "airflow-xcom-sidecar" for c in pod.spec.containers)


def test_pod_spec_carries_no_secret_values(kubernetes_mode, monkeypatch):
    monkeypatch.setenv("TRIBUTARY_CONN_SRC_EU", "postgresql://tributary:topsecret@127.0.0.1:54311/trading")
    monkeypatch.setenv("AIRFLOW_CONN_SRC_EU", "postgresql://tributary:topsecret@127.0.0.1:54311/trading")
    from tributary import worker

    op = worker.worker_task(task_id="copy", argv=["copy", "--source", "src_eu"], connection_ids=["src_eu"])
    pod = op.build_pod_request_obj(dry_run=True)
    from kubernetes.client import ApiClient

    rendered = str(ApiClient().sanitize_for_serialization(pod))
    assert "topsecret" not in rendered and "postgresql://" not in rendered
    assert op.build_pod_request_obj(dry_run=True).spec.containers[0].args.count("--result-file") == 1  # idempotent


def test_dag_in_kubernetes_mode_uses_pods_for_worker_steps(kubernetes_mode, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag
    from pathlib import Path

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[1] / "dags"), include_examples=False)
    assert not bag.import_errors
    worker_steps = {
        "tributary_consolidate": ["resolve", "schema_pre_data", "copy_src_eu.copy", "copy_src_us.copy",
                                  "target.checksum_target", "schema_post_data"],
        "tributary_warehouse": ["table_src_eu.stage", "table_src_eu.load"],
        "tributary_archive": ["table_src_eu.archive"],
    }
    python_steps = {"tributary_consolidate": "target.verify", "tributary_warehouse": "table_src_eu.verify",
                    "tributary_archive": "table_src_eu.verify"}
    for dag_id, steps in worker_steps.items():
        kinds = {t.task_id: type(t).__name__ for t in bag.dags[dag_id].tasks}
        assert {step: kinds[step] for step in steps} == dict.fromkeys(steps, "WorkerPodOperator"), dag_id
        # comparing XCom figures needs no worker: it stays a Python task
        assert kinds[python_steps[dag_id]] != "WorkerPodOperator", dag_id


def test_a_raw_aes_archive_key_reaches_the_pod_from_its_secret_never_as_a_value(kubernetes_mode, monkeypatch):
    import copy

    from tributary import archive, config, worker

    monkeypatch.setenv("TRIBUTARY_ARCHIVE_KEY", "c2VjcmV0LWtleS1tYXRlcmlhbC1uZXZlci1pbi1hLXBvZA==")
    raw = copy.deepcopy(config.load().raw)
    raw["targets"]["archive"]["client_side_encryption"] = {"keyring": "raw-aes", "key_env": "TRIBUTARY_ARCHIVE_KEY"}
    cfg = config.MigrationConfig(raw=raw, path=config.load().path)
    assert archive.key_secret_env(cfg) == {"TRIBUTARY_ARCHIVE_KEY": ("tributary-archive-key", "key")}
    op = worker.worker_task(task_id="archive", argv=["archive"], connection_ids=["s3"],
                            secret_env=archive.key_secret_env(cfg))
    [container] = [c for c in op.build_pod_request_obj(dry_run=True).spec.containers if c.name == "base"]
    var = {e.name: e for e in container.env}["TRIBUTARY_ARCHIVE_KEY"]
    assert var.value is None and (var.value_from.secret_key_ref.name, var.value_from.secret_key_ref.key) == (
        "tributary-archive-key", "key")
    raw["targets"]["archive"]["client_side_encryption"] = {"keyring": "kms", "kms_key_id": "arn:aws:kms:k"}
    assert archive.key_secret_env(config.MigrationConfig(raw=raw, path=cfg.path)) == {}  # kms: IAM, no secret


def _finished_pod(exit_code: int, reason: str = "Error"):
    from kubernetes.client import models as k8s

    terminated = k8s.V1ContainerStateTerminated(exit_code=exit_code, reason=reason)
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="tributary-copy-x", namespace="tributary"),
        status=k8s.V1PodStatus(phase="Failed", container_statuses=[
            k8s.V1ContainerStatus(name="base", image="w", image_id="w", ready=False, restart_count=0,
                                  state=k8s.V1ContainerState(terminated=terminated))]),
    )


class _TaskInstance:
    """What cleanup() needs of a task instance: somewhere to push XCom."""

    def __init__(self):
        self.xcom = {}

    def xcom_push(self, key, value):
        self.xcom[key] = value


@pytest.mark.parametrize("exit_code, reason, retried", [
    (2, "Error", False), (3, "Error", False), (5, "Error", False), (137, "OOMKilled", False),
    (4, "Error", True), (1, "Error", True),
])
def test_a_failed_pod_keeps_the_exit_code_contract_and_its_result_reaches_xcom(
        kubernetes_mode, monkeypatch, exit_code, reason, retried):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    from tributary import worker

    op = worker.worker_task(task_id="copy", argv=["copy", "--table", "public.users"], connection_ids=["src_eu"])
    # The two calls cleanup() makes to the cluster's API (no cluster here): the label patch and the istio probe.
    monkeypatch.setattr(op, "patch_already_checked", lambda pod, reraise=True: None)
    monkeypatch.setattr(op, "is_istio_enabled", lambda pod: False)
    result = {"table": "public.users", "error": "the worker's one-line reason", "exit_code": exit_code}
    ti = _TaskInstance()
    remote = _finished_pod(exit_code, reason)
    with pytest.raises(AirflowException) as err:
        op.cleanup(remote, remote, xcom_result=result, context={"ti": ti})
    assert isinstance(err.value, AirflowFailException) is (not retried)
    assert ti.xcom["return_value"] == result  # the failure's JSON is the task's XCom
    expected = 5 if reason == "OOMKilled" else exit_code
    assert err.value.exit_code == expected and f"exit {expected}" in str(err.value)
    if not retried:
        assert isinstance(err.value, worker.WorkerRejected)


def test_pod_log_lines_are_redacted_like_the_launchers(kubernetes_mode, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SRC_EU", "postgresql://tributary:Pod-S3cret%21@db.example:5432/trading")
    from tributary import pod

    redact = pod.log_redactor(["src_eu", "not_an_airflow_connection"])
    line = redact("base", "connecting to postgresql://tributary:Pod-S3cret%21@db.example:5432/trading, pw Pod-S3cret!")
    assert "Pod-S3cret" not in line and line.startswith("[base] ") and "***" in line
