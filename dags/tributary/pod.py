"""The worker as a Kubernetes pod (``TRIBUTARY_LAUNCHER=kubernetes``); built by ``worker.pod_operator``."""

from __future__ import annotations

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

POD_RESULT_FILE = "/airflow/xcom/return.json"  # where KubernetesPodOperator's sidecar reads XCom


def with_result_file(args: list[str]) -> list[str]:
    return args if "--result-file" in args else [*args, "--result-file", POD_RESULT_FILE]


class WorkerPodOperator(KubernetesPodOperator):
    """KubernetesPodOperator whose container args always end with ``--result-file`` for XCom."""

    def build_pod_request_obj(self, context=None, **kwargs):
        # `arguments` is templated (it may come from an XComArg), so the flag is added once rendered.
        self.arguments = with_result_file([str(a) for a in (self.arguments or [])])
        return super().build_pod_request_obj(context, **kwargs)
