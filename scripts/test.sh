#!/usr/bin/env bash
# The test suite against the real local stack: Java unit + integration tests, then pytest.
#   scripts/test.sh [java|python]   (both by default)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env

# moto's S3 server honours what S3Proxy (the stack's persistent S3) refuses: SSE headers, tags, lifecycle
# configuration, archive storage classes and RestoreObject (../shared/FIELD-NOTES.md). It runs only for
# the tests, in memory, on its own port (shifted by the stack's port offset), and stops with them.
start_moto() {
  [ -n "${TRIBUTARY_TEST_S3_URI:-}" ] && return 0
  local offset=0 port pid
  [ -f "$STATE/port_offset" ] && offset="$(cat "$STATE/port_offset")"
  port=$((54350 + offset))
  [ -x "$STATE/venv/bin/moto_server" ] || die "moto_server missing from $STATE/venv: run make venv" 2
  mkdir -p "$STATE/logs"
  "$STATE/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$STATE/logs/moto.log" 2>&1 &
  pid=$!
  trap 'kill '"$pid"' 2>/dev/null || true' EXIT
  for _ in $(seq 60); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    kill -0 "$pid" 2>/dev/null || die "moto_server did not start: see $STATE/logs/moto.log"
    sleep 0.5
  done
  # moto accepts any keys; the URI has the worker's TRIBUTARY_CONN_<ID> form.
  export TRIBUTARY_TEST_S3_URI="s3://moto-test:moto-secret@127.0.0.1:$port?region=us-east-1&scheme=http"
  say "moto S3 server for the tests on 127.0.0.1:$port"
}

java_tests() {
  say "Java tests (unit + integration against the local stack)"
  (cd "$REPO/java-workers" && TRIBUTARY_TEST_PG_URI="$TRIBUTARY_CONN_CONSOLIDATED" \
    TRIBUTARY_TEST_PAGILA_URI="${TRIBUTARY_CONN_SRC_PAGILA:-}" \
    TRIBUTARY_TEST_SOURCE_URI="${TRIBUTARY_CONN_SRC_US:-}" mvn -B -ntp test)
}

python_tests() {
  say "pytest (config, launcher, DAG structure, airflow dags test end to end)"
  # shellcheck disable=SC1091
  . "$REPO/scripts/airflow_env.sh"
  cd "$REPO" && "$STATE/venv/bin/python" -m pytest tests
}

start_moto
case "${1:-all}" in
  java) java_tests ;;
  python) python_tests ;;
  all) java_tests; python_tests ;;
  *) die "usage: $0 [java|python]" 2 ;;
esac
