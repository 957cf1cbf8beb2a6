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
        "tributary_consolidate": ["resolve", "schema_pre_data", "copy.copy", "target.checksum_target", "schema_post_data"],
        "tributary_warehouse": ["table.stage", "table.load"],
        "tributary_archive": ["table.archive"],
    }
    python_steps = {"tributary_consolidate": "target.verify", "tributary_warehouse": "table.verify", "tributary_archive": "table.verify"}
    for dag_id, steps in worker_steps.items():
        kinds = {t.task_id: type(t).__name__ for t in bag.dags[dag_id].tasks}
        assert {step: kinds[step] for step in steps} == dict.fromkeys(steps, "WorkerPodOperator"), dag_id
        # comparing XCom figures needs no worker: it stays a Python task
        assert kinds[python_steps[dag_id]] != "WorkerPodOperator", dag_id
