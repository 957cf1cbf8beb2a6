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

{{- /* Where every pod finds the CA of global.tributary.tls.caSecret (dags/tributary/worker.py TLS_CA_DIR). */ -}}
{{- define "tributary.tlsCaPath" -}}
/etc/tributary-tls/ca.crt
{{- end -}}

{{- /*
TLS for Airflow's own connections and for the worker pods it launches: libpq's PGSSLMODE (and PGSSLROOTCERT when a
CA Secret is given) apply to every connection whose URI names no sslmode/sslrootcert; TRIBUTARY_TLS_CA_SECRET/KEY
tell the launcher which Secret to mount into worker pods at the same path.
*/ -}}
{{- define "tributary.airflowTlsEnv" -}}
{{- with .Values.global.tributary.tls }}
- name: PGSSLMODE
  value: {{ .sslmode | quote }}
{{- with .caSecret }}
- name: PGSSLROOTCERT
  value: {{ include "tributary.tlsCaPath" $ | quote }}
- name: TRIBUTARY_TLS_CA_SECRET
  value: {{ .name | quote }}
- name: TRIBUTARY_TLS_CA_KEY
  value: {{ .key | quote }}
{{- end }}
{{- end }}
{{- end -}}
