#!/usr/bin/env bash
# The migration report: one self-contained HTML page from the plan, the phase outcomes, the control
# schema and the GX results (whatever exists; missing parts say "not run yet"). Prints its path.
#   scripts/report.sh [--state DIR] [--output FILE]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# .stack/env gives TRIBUTARY_CONN_* (the control schema); without it the page says it was not reachable.
# shellcheck disable=SC1091
. "$REPO/scripts/airflow_env.sh"
[ -x "$STATE/venv/bin/python" ] || die "the Python env is missing ($STATE/venv): run make bootstrap"
PYTHONPATH="$REPO/dags" "$STATE/venv/bin/python" -m tributary.report "$@"
