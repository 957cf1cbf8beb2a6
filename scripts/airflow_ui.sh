#!/usr/bin/env bash
# Airflow's UI for this checkout on http://127.0.0.1:58080 (api-server, scheduler, dag-processor,
# triggerer in one process: `airflow standalone`). Ctrl-C stops it.
# Login: user `admin`; the password is generated on first start and kept in
#   $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated   (AIRFLOW_HOME=.stack/airflow)
# and printed below once it exists.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env
# shellcheck disable=SC1091
. "$REPO/scripts/airflow_env.sh"

export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
passwords="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
{ airflow db migrate && tributary_airflow_pools; } >"$STATE/logs/airflow-ui-migrate.log" 2>&1 \
  || die "airflow db migrate / pools failed: see $STATE/logs/airflow-ui-migrate.log"

( for _ in $(seq 1 120); do
    if [ -s "$passwords" ]; then
      say "Airflow UI: http://127.0.0.1:58080  login: admin / $(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$passwords")"
      break
    fi
    sleep 1
  done ) &
exec airflow standalone
