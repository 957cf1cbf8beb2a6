# Airflow for this checkout: source it (scripts/test.sh, scripts/demo.sh, scripts/airflow_ui.sh do).
#   . scripts/airflow_env.sh
# AIRFLOW_HOME lives in the ignored state folder, metadata in SQLite, DAGs straight from <repo>/dags,
# connections from the stack's AIRFLOW_CONN_* variables (.stack/env). Defines no functions, runs nothing.
# shellcheck shell=bash

_tributary_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TRIBUTARY_STATE="${TRIBUTARY_STATE:-$_tributary_repo/.stack}"

if [ -f "$TRIBUTARY_STATE/env" ]; then
  set -a
  # shellcheck disable=SC1091
  . "$TRIBUTARY_STATE/env"
  set +a
else
  echo "warning: $TRIBUTARY_STATE/env missing (run make stack-up); Airflow will have no connections" >&2
fi

export PATH="$TRIBUTARY_STATE/venv/bin:$PATH"
export AIRFLOW_HOME="$TRIBUTARY_STATE/airflow"
mkdir -p "$AIRFLOW_HOME" "$TRIBUTARY_STATE/logs/airflow"

export AIRFLOW__CORE__DAGS_FOLDER="$_tributary_repo/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$_tributary_repo/dags/tributary/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"  # 2 cores: the JVMs do the work
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$TRIBUTARY_STATE/logs/airflow"
export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=30
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT=58080
export AIRFLOW__API__BASE_URL="http://127.0.0.1:58080"
# The in-process execution API of `airflow dags test` and the standalone api-server sign task tokens
# with this; keep it stable per checkout (state folder) so restarts do not invalidate running tasks.
if [ ! -s "$AIRFLOW_HOME/.jwt_secret" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$AIRFLOW_HOME/.jwt_secret")
fi
AIRFLOW__API_AUTH__JWT_SECRET="$(cat "$AIRFLOW_HOME/.jwt_secret")"
export AIRFLOW__API_AUTH__JWT_SECRET
export GX_ANALYTICS_ENABLED=false
# Data lineage (Airflow's OpenLineage provider; dags/tributary/lineage.py): every task's events, worker tasks with
# their input and output datasets, to a file in the state folder unless a transport is configured already.
if [ -z "${AIRFLOW__OPENLINEAGE__TRANSPORT:-}" ]; then
  mkdir -p "$TRIBUTARY_STATE/lineage"
  export AIRFLOW__OPENLINEAGE__TRANSPORT="{\"type\": \"file\", \"log_file_path\": \"$TRIBUTARY_STATE/lineage/events.jsonl\", \"append\": true}"
fi
export AIRFLOW__OPENLINEAGE__NAMESPACE="${AIRFLOW__OPENLINEAGE__NAMESPACE:-tributary}"
export AIRFLOW__OPENLINEAGE__EXTRACTORS=tributary.lineage.WorkerLineageExtractor
export TRIBUTARY_LAUNCHER="${TRIBUTARY_LAUNCHER:-subprocess}"
export TRIBUTARY_WORKER="${TRIBUTARY_WORKER:-$_tributary_repo/bin/tributary}"
export TRIBUTARY_CONFIG="${TRIBUTARY_CONFIG:-$_tributary_repo/config/migration.yaml}"
unset _tributary_repo

# Airflow pools from migration.yaml (dags/tributary/pools.py): one per source, sized by sources[].max_sessions, and
# tributary-all-sources. Idempotent: `airflow pools import` creates or updates them; then every pool is checked
# (the scheduler would leave a task of a missing pool queued for ever; `airflow dags test` ignores pools).
tributary_airflow_pools() {
  local file="$AIRFLOW_HOME/tributary-pools.json"
  PYTHONPATH="$AIRFLOW__CORE__DAGS_FOLDER" python -m tributary.pools >"$file" \
    && airflow pools import "$file" >/dev/null \
    && airflow pools list -o json | PYTHONPATH="$AIRFLOW__CORE__DAGS_FOLDER" python -m tributary.pools --check -
}
