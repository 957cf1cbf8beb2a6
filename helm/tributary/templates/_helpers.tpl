{{- define "tributary.fullname" -}}
{{- printf "%s-tributary" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tributary.labels" -}}
app.kubernetes.io/name: tributary
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /* The Secret of one connection id: dags/tributary/worker.py secret_name(). */ -}}
{{- define "tributary.connSecret" -}}
{{- printf "tributary-conn-%s" (. | lower | replace "_" "-") -}}
{{- end -}}

{{- /*
Airflow Connections from the same list: AIRFLOW_CONN_<ID> taken from each connection's Secret. Used by the
official chart's `extraEnv` (a string it renders with tpl, where .Values are the Airflow chart's own and
global values are shared), so the list lives under global.tributary.connections.
*/ -}}
{{- define "tributary.airflowConnectionsEnv" -}}
{{- range .Values.global.tributary.connections }}
- name: AIRFLOW_CONN_{{ .id | upper }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "tributary.connSecret" .id) .existingSecret }}
      key: uri
{{- end }}
{{- end -}}
