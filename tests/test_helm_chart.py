"""The Helm chart lints and renders, and what it renders is what Tributary expects.

The official Airflow chart (a dependency) cannot be fetched here, so rendering uses a copy of the
chart without that dependency: everything Tributary itself ships is still rendered and checked.
"""
import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import _unavailable

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "helm" / "tributary"
STATE = Path(os.environ.get("TRIBUTARY_STATE", REPO / ".stack"))
HELM = STATE / "tools" / "helm"


@pytest.fixture(scope="module")
def helm():
    if not HELM.exists():
        _unavailable(f"helm is missing at {HELM}: run `make helm`")
    return str(HELM)


@pytest.fixture(scope="module")
def chart_without_airflow(tmp_path_factory):
    copy = tmp_path_factory.mktemp("chart") / "tributary"
    shutil.copytree(CHART, copy)
    meta = yaml.safe_load((copy / "Chart.yaml").read_text())
    meta.pop("dependencies")
    (copy / "Chart.yaml").write_text(yaml.safe_dump(meta))
    return copy


@pytest.fixture(scope="module")
def rendered(helm, chart_without_airflow):
    out = subprocess.run(
        [helm, "template", "demo", str(chart_without_airflow), "--set", "airflow.enabled=false"],
        check=True, capture_output=True, text=True,
    ).stdout
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out) if d}


def test_chart_lints_with_only_the_unfetchable_dependency_missing(helm):
    result = subprocess.run([helm, "lint", str(CHART)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stdout.splitlines() if "[WARNING]" in line or "[ERROR]" in line]
    assert all("missing these dependencies: airflow" in w for w in warnings), warnings


def test_airflow_is_the_official_chart_dependency():
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    (dep,) = meta["dependencies"]
    assert dep["name"] == "airflow" and dep["repository"] == "https://airflow.apache.org"


def test_migration_config_in_the_chart_is_valid(rendered):
    config_map = rendered[("ConfigMap", "tributary-config")]
    config = yaml.safe_load(config_map["data"]["migration.yaml"])
    schema = json.loads((REPO / "config" / "migration.schema.json").read_text())
    jsonschema.validate(config, schema)


def test_airflow_env_in_the_chart_is_what_the_launcher_reads():
    """The chart configures worker pods only through variables dags/tributary reads; names must agree."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())["airflow"]
    env = {e["name"]: e["value"] for e in values["env"]}
    package = "\n".join(p.read_text() for p in (REPO / "dags" / "tributary").rglob("*.py"))
    unread = [name for name in env if name.startswith("TRIBUTARY_") and f'"{name}"' not in package]
    assert not unread, f"set by the chart but read nowhere in dags/tributary: {unread}"
    assert env["TRIBUTARY_LAUNCHER"] == "kubernetes"
    # The same ConfigMap is mounted where Airflow parses the DAGs and named for the worker pods.
    (volume,) = [v for v in values["volumes"] if v["name"] == "tributary-config"]
    assert volume["configMap"]["name"] == env["TRIBUTARY_CONFIGMAP"] == "tributary-config"
    (mount,) = values["volumeMounts"]
    assert env["TRIBUTARY_CONFIG"].startswith(mount["mountPath"] + "/")
    assert env["TRIBUTARY_PUSHGATEWAY"].startswith("tributary-pushgateway:")


def test_pushgateway_runs_unprivileged_with_probes(rendered):
    deployment = rendered[("Deployment", "demo-tributary-pushgateway")]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert rendered[("Service", "tributary-pushgateway")]["spec"]["ports"][0]["port"] == 9091


def test_alert_rules_cover_verification_stalls_lag_and_failures(rendered):
    rule = rendered[("PrometheusRule", "demo-tributary-alerts")]
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    assert {"TributaryVerificationFailed", "TributaryWorkerJobFailed", "TributaryCopyStalled",
            "TributaryCdcLagHigh", "TributaryPushgatewayDown"} <= set(alerts)
    assert alerts["TributaryVerificationFailed"]["labels"]["severity"] == "critical"
    assert "> 900" in alerts["TributaryCopyStalled"]["expr"]  # 15 minutes from values.yaml
    for alert in alerts.values():
        assert "{{ $labels" not in alert["expr"]


def test_a_slot_retaining_wal_past_the_threshold_alerts(rendered):
    rule = rendered[("PrometheusRule", "demo-tributary-alerts")]
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    slot = alerts["TributaryReplicationSlotRetainsWal"]
    # current position minus what the slot confirmed, only for the follower's slots, over 10 GiB (values.yaml)
    assert "pg_replication_slot_slot_current_wal_lsn" in slot["expr"]
    assert "pg_replication_slot_slot_confirmed_flush_lsn" in slot["expr"]
    assert 'slot_name=~"tributary_.*"' in slot["expr"]
    assert slot["expr"].rstrip().endswith("> 10737418240")
    assert slot["for"] == "15m" and slot["labels"]["severity"] == "critical"
    assert slot["annotations"]["runbook_url"].endswith("docs/runbooks/cutover.md#a-slot-retains-wal")


def test_dashboard_is_valid_grafana_json_with_prometheus_queries(rendered):
    config_map = rendered[("ConfigMap", "demo-tributary-dashboard")]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["tributary.json"])
    assert dashboard["uid"] == "tributary-migration"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs and all("tributary_" in e for e in exprs)


# Metrics the chart may query before their exporter exists; each names the issue that adds it.
NOT_YET_EXPORTED = {"tributary_cdc_lag_seconds": "phase 5 (cutover): the CDC follower exports it"}


def test_every_metric_the_chart_queries_is_pushed_by_the_worker(rendered):
    gateway = os.environ.get("TRIBUTARY_PUSHGATEWAY")
    if not gateway:
        _unavailable("TRIBUTARY_PUSHGATEWAY is not set: start the stack (make stack-up)")
    # A real worker run pushes its full metric set to the real Pushgateway.
    subprocess.run([str(REPO / "bin" / "tributary"), "validate-config", "--config", str(REPO / "config" / "migration.yaml")],
                   check=True, capture_output=True, env={**os.environ, "TRIBUTARY_PUSHGATEWAY": gateway})
    served = urllib.request.urlopen(f"http://{gateway}/metrics", timeout=10).read().decode()
    exported = set(re.findall(r"^(tributary_[a-z_]+)", served, re.M))

    rule = rendered[("PrometheusRule", "demo-tributary-alerts")]
    dashboard = json.loads(rendered[("ConfigMap", "demo-tributary-dashboard")]["data"]["tributary.json"])
    queries = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
    queries += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    queried = set(re.findall(r"\b(tributary_[a-z_]+)", " ".join(queries)))
    assert queried - exported - set(NOT_YET_EXPORTED) == set(), f"the worker exports {sorted(exported)}"
