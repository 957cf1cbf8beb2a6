#!/usr/bin/env bash
# The demo's Airflow part: run tributary_consolidate with `airflow dags test`, print the outcome table.
# Exits non-zero unless every table verified. Safe to run again: the worker's ledger makes re-runs no-ops.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env
# shellcheck disable=SC1091
. "$REPO/scripts/airflow_env.sh"

mkdir -p "$STATE/logs" "$STATE/reports"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
log="$STATE/logs/demo-consolidate-$stamp.log"
report="$STATE/reports/consolidate-outcome.json"

say "Airflow metadata ($AIRFLOW_HOME/airflow.db)"
{ airflow db migrate && airflow dags reserialize; } >"$STATE/logs/airflow-setup-$stamp.log" 2>&1 \
  || die "airflow db migrate / dags reserialize failed: see $STATE/logs/airflow-setup-$stamp.log"

rm -f "$report"  # the table printed below must come from this run
say "airflow dags test tributary_consolidate (log: $log)"
rc=0
(cd "$STATE" && airflow dags test tributary_consolidate) >"$log" 2>&1 || rc=$?

[ -f "$report" ] || die "tributary_consolidate wrote no outcome (exit $rc): see $log"
say "outcome (phase 2, consolidate)"
PYTHONPATH="$REPO/dags" python -m tributary.outcome "$report" || rc=1
if [ "$rc" -ne 0 ]; then
  die "not everything verified: see $log" "$rc"
fi
say "all tables verified (control schema: bin/tributary status --config $TRIBUTARY_CONFIG)"
