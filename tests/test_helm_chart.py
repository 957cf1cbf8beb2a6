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
    (mount,) = [m for m in values["volumeMounts"] if m["name"] == "tributary-config"]
    assert env["TRIBUTARY_CONFIG"].startswith(mount["mountPath"] + "/")
    assert env["TRIBUTARY_PUSHGATEWAY"].startswith("tributary-pushgateway:")


def test_a_job_creates_the_pools_of_migration_yaml_after_every_install_and_upgrade(rendered):
    """The scheduler never starts a task whose pool is missing: the chart's hook Job runs the pools command
    (dags/tributary/pools.py) on the mounted migration.yaml, imports the pools and checks them."""
    job = rendered[("Job", "demo-tributary-pools")]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    script = container["args"][0]
    assert script.index("python -m tributary.pools >") < script.index("airflow pools import") \
        < script.index("python -m tributary.pools --check -")
    env = {e["name"]: e for e in container["env"]}
    (mount,) = container["volumeMounts"]
    assert env["TRIBUTARY_CONFIG"]["value"].startswith(mount["mountPath"] + "/")
    assert pod["volumes"][0]["configMap"]["name"] == rendered[("ConfigMap", "tributary-config")]["metadata"]["name"]
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]["valueFrom"]["secretKeyRef"] == {"name": "demo-metadata",
                                                                                      "key": "connection"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


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
            "TributaryCdcLagHigh", "TributaryPushgatewayDown", "TributaryReconcileMismatch"} <= set(alerts)
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


# Metrics only some commands push (validate-config, run below, does not); each says which and where it is tested.
NOT_YET_EXPORTED = {"tributary_follow_lag_seconds": "pushed only by a running `tributary follow` (docs/cdc.md, Lag)",
                    "tributary_reconcile_mismatch_rate": "pushed by each tributary_reconcile pass, not the worker"
                                                         " (dags/tributary/reconcile.py; tests/test_reconcile.py"
                                                         " pushes it to the real Pushgateway)"}


def test_every_metric_the_chart_queries_is_pushed_by_the_worker(rendered, scratch_db, psql, tmp_path):
    gateway = os.environ.get("TRIBUTARY_PUSHGATEWAY")
    if not gateway:
        _unavailable("TRIBUTARY_PUSHGATEWAY is not set: start the stack (make stack-up)")
    # Real worker runs push to the real Pushgateway: every job its job and progress metrics; the final figures
    # (rows_total, bytes_total) only a job that recorded them (JobMetrics), so one job of each kind runs here, and
    # the test does not depend on what earlier tests pushed.
    psql('CREATE TABLE public."Metric T" (id int PRIMARY KEY); INSERT INTO public."Metric T" SELECT generate_series(1, 3)')
    env = {**os.environ, "TRIBUTARY_PUSHGATEWAY": gateway, "TRIBUTARY_CONN_METRICS_SCRATCH": scratch_db}
    for argv in (["validate-config", "--config", str(REPO / "config" / "migration.yaml")],
                 ["checksum", "--conn", "metrics_scratch", "--table", 'public.Metric T'],  # records rows
                 ["discover", "--conn", "metrics_scratch", "--output", str(tmp_path / "inventory.json")]):  # bytes
        subprocess.run([str(REPO / "bin" / "tributary"), *argv], check=True, capture_output=True, env=env)
    served = urllib.request.urlopen(f"http://{gateway}/metrics", timeout=10).read().decode()
    exported = set(re.findall(r"^(tributary_[a-z_]+)", served, re.M))

    rule = rendered[("PrometheusRule", "demo-tributary-alerts")]
    dashboard = json.loads(rendered[("ConfigMap", "demo-tributary-dashboard")]["data"]["tributary.json"])
    queries = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]]
    queries += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    queried = set(re.findall(r"\b(tributary_[a-z_]+)", " ".join(queries)))
    assert queried - exported - set(NOT_YET_EXPORTED) == set(), f"the worker exports {sorted(exported)}"


def test_the_airflow_chart_is_the_one_for_airflow_3_2_and_chart_lock_pins_it(helm, tmp_path):
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    (dep,) = meta["dependencies"]
    assert dep["version"] == "1.22.0"  # the official chart whose default Airflow is 3.2.2 (docker/airflow.Dockerfile)
    lock = yaml.safe_load((CHART / "Chart.lock").read_text())
    assert lock["dependencies"] == [{"name": "airflow", "repository": dep["repository"], "version": dep["version"]}]
    # Helm itself checks the lock's digest against Chart.yaml before it fetches (which cannot work here).
    shutil.copytree(CHART, tmp_path / "tributary")
    result = subprocess.run([helm, "dependency", "build", str(tmp_path / "tributary")], capture_output=True, text=True)
    assert result.returncode == 0 or "out of sync" not in result.stderr, result.stderr


CONNECTIONS = [
    {"id": "src_eu", "uri": "postgresql://tributary:chart-pw@src-eu.db:5432/trading?sslmode=verify-full"},
    {"id": "consolidated", "existingSecret": "consolidated-from-vault"},
]

# Stands in for the official chart (unfetchable here) doing what it does with `extraEnv`: tpl it into containers.
AIRFLOW_STUB = """apiVersion: v1
kind: ConfigMap
metadata: {name: airflow-stub-env, namespace: {{ .Release.Namespace }}}
data:
  env.yaml: |
{{ tpl .Values.extraEnv . | indent 4 }}
  logging.yaml: |
{{ toYaml .Values.config.logging | indent 4 }}
  volumes.yaml: |
{{ toYaml .Values.volumes | indent 4 }}
  volumeMounts.yaml: |
{{ toYaml .Values.volumeMounts | indent 4 }}
"""


def chart_with_airflow_stub(chart_without_airflow, tmp_path_factory):
    chart = tmp_path_factory.mktemp("release") / "tributary"
    shutil.copytree(chart_without_airflow, chart)
    stub = chart / "charts" / "airflow"
    (stub / "templates").mkdir(parents=True)
    (stub / "Chart.yaml").write_text("apiVersion: v2\nname: airflow\nversion: 1.22.0\n")
    (stub / "templates" / "env.yaml").write_text(AIRFLOW_STUB)
    return chart


@pytest.fixture(scope="module")
def chart_with_stub(chart_without_airflow, tmp_path_factory):
    return chart_with_airflow_stub(chart_without_airflow, tmp_path_factory)


def render(helm, chart, values: dict, tmp_path) -> subprocess.CompletedProcess:
    file = tmp_path / f"values-{len(list(tmp_path.glob('values-*')))}.yaml"
    file.write_text(yaml.safe_dump(values))
    return subprocess.run([helm, "template", "prod", str(chart), "-n", "trading-migration", "-f", str(file)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def rendered_release(helm, chart_with_stub, tmp_path_factory):
    result = render(helm, chart_with_stub, {"global": {"tributary": {"connections": CONNECTIONS}}},
                    tmp_path_factory.mktemp("values"))
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def airflow_stub(rendered) -> dict:
    """What the official chart would be given: Airflow's env, volumes and mounts (all its pods get them)."""
    (stub,) = [d for d in rendered if d["metadata"]["name"] == "airflow-stub-env"]
    return {name.removesuffix(".yaml"): yaml.safe_load(text) for name, text in stub["data"].items()}


def test_one_list_of_connections_makes_the_secrets_and_the_airflow_connections(rendered_release):
    from tributary import worker

    secrets = {d["metadata"]["name"]: d for d in rendered_release if d["kind"] == "Secret"}
    # src_eu: made here, under the name the pods ask for; consolidated: an existing Secret, nothing made.
    assert set(secrets) == {worker.secret_name("src_eu")}
    assert secrets[worker.secret_name("src_eu")]["stringData"]["uri"] == CONNECTIONS[0]["uri"]
    (stub,) = [d for d in rendered_release if d["metadata"]["name"] == "airflow-stub-env"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in yaml.safe_load(stub["data"]["env.yaml"]) if "valueFrom" in e}
    assert env == {"AIRFLOW_CONN_SRC_EU": {"name": "tributary-conn-src-eu", "key": "uri"},
                   "AIRFLOW_CONN_CONSOLIDATED": {"name": "consolidated-from-vault", "key": "uri"}}
    logging = yaml.safe_load(stub["data"]["logging.yaml"])
    assert logging["remote_logging"] == "True" and logging["remote_base_log_folder"].startswith("s3://")
    assert "chart-pw" not in stub["data"]["env.yaml"]


TLS_CA = "/etc/tributary-tls/ca.crt"


def test_airflow_pods_verify_with_verify_full_and_mount_the_ca_from_its_secret(rendered_release):
    """The GX gate and the launcher connect from Airflow's own pods: libpq's defaults say verify-full against the CA
    the chart mounts read-only from the Secret global.tributary.tls.caSecret."""
    airflow = airflow_stub(rendered_release)
    env = {e["name"]: e.get("value") for e in airflow["env"]}
    assert env["PGSSLMODE"] == "verify-full" and env["PGSSLROOTCERT"] == TLS_CA
    assert (env["TRIBUTARY_TLS_CA_SECRET"], env["TRIBUTARY_TLS_CA_KEY"]) == ("tributary-tls-ca", "ca.crt")
    (volume,) = [v for v in airflow["volumes"] if v["name"] == "tributary-tls-ca"]
    assert volume["secret"] == {"secretName": "tributary-tls-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}
    (mount,) = [m for m in airflow["volumeMounts"] if m["name"] == "tributary-tls-ca"]
    assert mount["readOnly"] is True and TLS_CA == mount["mountPath"] + "/ca.crt"


def test_a_worker_pod_launched_from_the_rendered_airflow_env_mounts_the_ca(rendered_release, monkeypatch):
    from tributary import worker

    for e in airflow_stub(rendered_release)["env"]:
        if "value" in e:
            monkeypatch.setenv(e["name"], e["value"])
    monkeypatch.setenv("TRIBUTARY_LAUNCHER", "kubernetes")
    op = worker.worker_task(task_id="copy", argv=["copy", "--source", "src_eu"], connection_ids=["src_eu"])
    pod = op.build_pod_request_obj(dry_run=True)
    [container] = [c for c in pod.spec.containers if c.name == "base"]
    env = {e.name: e.value for e in container.env}
    assert env["PGSSLMODE"] == "verify-full" and env["PGSSLROOTCERT"] == TLS_CA
    (volume,) = [v for v in pod.spec.volumes if v.name == "tributary-tls-ca"]
    assert volume.secret.secret_name == "tributary-tls-ca"
    assert [(i.key, i.path) for i in volume.secret.items] == [("ca.crt", "ca.crt")]
    (mount,) = [m for m in container.volume_mounts if m.name == "tributary-tls-ca"]
    assert mount.read_only is True and TLS_CA == f"{mount.mount_path}/ca.crt" and mount.mount_path == worker.TLS_CA_DIR


def test_tls_is_off_only_when_a_values_file_says_so(helm, chart_with_stub, tmp_path):
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    connections = {"connections": CONNECTIONS}
    # No tls block at all (e.g. set to null): refused, never a silent "no verification".
    result = render(helm, chart_with_stub, {"global": {"tributary": {**connections, "tls": None}}}, tmp_path)
    assert result.returncode != 0 and "tls is required" in result.stderr, result.stderr
    # verify-full without a CA: refused.
    result = render(helm, chart_with_stub, {"global": {"tributary": {**connections, "tls": {"caSecret": None}}}},
                    tmp_path)
    assert result.returncode != 0 and "caSecret" in result.stderr, result.stderr
    # A CA Secret the Airflow pods do not mount: refused, naming what to mount.
    other = {"sslmode": "verify-full", "caSecret": {"name": "corp-ca", "key": "ca.pem"}}
    result = render(helm, chart_with_stub, {"global": {"tributary": {**connections, "tls": other}}}, tmp_path)
    assert result.returncode != 0 and "secretName: corp-ca, items: [{key: ca.pem" in result.stderr, result.stderr
    # Said explicitly, and the CA volume removed from Airflow's pods: renders, libpq told "disable", no CA.
    off = {"global": {"tributary": {**connections, "tls": {"sslmode": "disable", "caSecret": None}}},
           "airflow": {"volumes": [v for v in values["airflow"]["volumes"] if v["name"] != "tributary-tls-ca"],
                       "volumeMounts": [m for m in values["airflow"]["volumeMounts"] if m["name"] != "tributary-tls-ca"]}}
    result = render(helm, chart_with_stub, off, tmp_path)
    assert result.returncode == 0, result.stderr
    env = {e["name"]: e.get("value") for e in airflow_stub(list(yaml.safe_load_all(result.stdout)))["env"]}
    assert env["PGSSLMODE"] == "disable" and "PGSSLROOTCERT" not in env and "TRIBUTARY_TLS_CA_SECRET" not in env


def test_everything_lands_in_the_release_namespace(rendered_release):
    assert {d["metadata"].get("namespace") for d in rendered_release} == {"trading-migration"}


def test_prometheus_scrapes_the_pushgateway_keeping_the_workers_labels(rendered_release):
    (monitor,) = [d for d in rendered_release if d["kind"] == "ServiceMonitor"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["honorLabels"] is True and endpoint["port"] == "http"
    (service,) = [d for d in rendered_release if d["kind"] == "Service"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["spec"]["selector"].items()


def test_values_schema_refuses_a_connection_without_a_secret(helm, chart_without_airflow, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"global": {"tributary": {"connections": [{"id": "src_eu"}]}}}))
    result = subprocess.run([helm, "template", "x", str(chart_without_airflow), "--set", "airflow.enabled=false",
                             "-f", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "connections" in result.stderr, result.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text(yaml.safe_dump({"global": {"tributary": {"connections": [{"id": "src_eu", "url": "postgresql://x"}]}}}))
    result = subprocess.run([helm, "template", "x", str(chart_without_airflow), "--set", "airflow.enabled=false",
                             "-f", str(typo)], capture_output=True, text=True)
    assert result.returncode != 0 and "url" in result.stderr, result.stderr


PROMTOOL = shutil.which("promtool")

# One case (or more) per alert of the chart: what fires, when, with which labels; and what must not fire.
ALERT_CASES = [
    {"name": "a copy whose checksums differ (exit 3) pages at once, and is not also a plain failure",
     "series": {'tributary_job_exit_code{job="copy", table="public.users"}': "3x20", 'up{job="pushgateway"}': "1x20"},
     "expect": [("1m", "TributaryVerificationFailed", [{"severity": "critical", "job": "copy", "table": "public.users"}], "3"),
                ("10m", "TributaryWorkerJobFailed", [], None)]},
    {"name": "a worker that exited 4 warns after 5 minutes",
     "series": {'tributary_job_exit_code{job="stage", table="md.ticks"}': "4x20", 'up{job="pushgateway"}': "1x20"},
     "expect": [("3m", "TributaryWorkerJobFailed", [], None),
                ("6m", "TributaryWorkerJobFailed", [{"severity": "warning", "job": "stage", "table": "md.ticks"}], "4")]},
    {"name": "a running job silent for 15 minutes is stalled",
     "series": {'tributary_job_running{job="copy", table="public.trades"}': "1x30",
                'push_time_seconds{job="copy", table="public.trades"}': "0x30", 'up{job="pushgateway"}': "1x30"},
     "expect": [("10m", "TributaryCopyStalled", [], None),
                ("16m", "TributaryCopyStalled", [{"severity": "warning", "job": "copy", "table": "public.trades"}], "1")]},
    {"name": "a finished job is never stalled",
     "series": {'tributary_job_running{job="copy", table="public.done"}': "0x30",
                'push_time_seconds{job="copy", table="public.done"}': "0x30", 'up{job="pushgateway"}': "1x30"},
     "expect": [("20m", "TributaryCopyStalled", [], None)]},
    {"name": "CDC lag over a minute for 10 minutes",
     "series": {'tributary_follow_lag_seconds{job="follow", source="src_eu"}': "120x20", 'up{job="pushgateway"}': "1x20"},
     "expect": [("5m", "TributaryCdcLagHigh", [], None),
                ("11m", "TributaryCdcLagHigh", [{"severity": "warning", "source": "src_eu"}], "120")]},
    {"name": "a follow slot retaining 20 GiB of WAL for 15 minutes (a forgotten slot fills the source's disk)",
     "series": {'pg_replication_slot_slot_current_wal_lsn{instance="src-eu:9187", slot_name="tributary_src_eu"}':
                "32212254720x30",
                'pg_replication_slot_slot_confirmed_flush_lsn{instance="src-eu:9187", slot_name="tributary_src_eu"}':
                "10737418240x30",
                'pg_replication_slot_slot_current_wal_lsn{instance="src-eu:9187", slot_name="other_tool"}':
                "32212254720x30",
                'pg_replication_slot_slot_confirmed_flush_lsn{instance="src-eu:9187", slot_name="other_tool"}': "0x30",
                'up{job="pushgateway"}': "1x30"},
     "expect": [("10m", "TributaryReplicationSlotRetainsWal", [], None),
                ("16m", "TributaryReplicationSlotRetainsWal",
                 [{"severity": "critical", "instance": "src-eu:9187", "slot_name": "tributary_src_eu"}], "20Gi")]},
    {"name": "a confirmed reconciliation mismatch pages at once; a clean pass (rate 0) never does",
     "series": {'tributary_reconcile_mismatch_rate{job="reconcile", source="src_eu", table="public.users"}': "0x3 0.25x5",
                'tributary_reconcile_mismatch_rate{job="reconcile", source="src_us", table="public.users"}': "0x10",
                'up{job="pushgateway"}': "1x10"},
     "expect": [("2m", "TributaryReconcileMismatch", [], None),
                ("5m", "TributaryReconcileMismatch",
                 [{"severity": "critical", "source": "src_eu", "table": "public.users"}], "0.25")]},
    {"name": "an unscraped Pushgateway",
     "series": {'up{job="pushgateway"}': "0x20"},
     "expect": [("3m", "TributaryPushgatewayDown", [], None),
                ("6m", "TributaryPushgatewayDown", [{"severity": "warning"}], "1")]},
]


def _annotations(rule: dict, labels: dict, value: str | None) -> dict:
    """The rule's annotations as Prometheus renders them for these labels and value (the templates used here)."""
    out = {}
    for key, text in rule.get("annotations", {}).items():
        text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), ""), text)
        out[key] = re.sub(r"\{\{ \$value( \| \w+)? \}\}", lambda m: value or "", text)  # value given as rendered
    return out


def test_every_alert_rule_passes_promtool_unit_tests(rendered, tmp_path):
    if not PROMTOOL:
        _unavailable("promtool is missing: make stack-up installs the Debian package prometheus")
    rule = rendered[("PrometheusRule", "demo-tributary-alerts")]
    rules = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    check = subprocess.run([PROMTOOL, "check", "rules", str(tmp_path / "rules.yml")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    tested = {alert for case in ALERT_CASES for _, alert, fired, _ in case["expect"] if fired}
    assert tested == set(rules), f"alerts without a firing test case: {set(rules) - tested}"
    tests = []
    for case in ALERT_CASES:
        tests.append({
            "interval": "1m",
            "input_series": [{"series": s, "values": v} for s, v in case["series"].items()],
            "alert_rule_test": [
                {"eval_time": at, "alertname": alert,
                 "exp_alerts": [{"exp_labels": {**labels, **rules[alert].get("labels", {})},
                                 "exp_annotations": _annotations(rules[alert], labels, value)} for labels in fired]}
                for at, alert, fired, value in case["expect"]],
        })
    (tmp_path / "tests.yml").write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m",
                                                        "tests": tests}))
    result = subprocess.run([PROMTOOL, "test", "rules", str(tmp_path / "tests.yml")], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
