#!/usr/bin/env bash
# The test suite against the real local stack: Java unit + integration tests, then pytest.
#   scripts/test.sh [java|python]   (both by default)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env

java_tests() {
  say "Java tests (unit + integration against the local stack)"
  (cd "$REPO/java-workers" && TRIBUTARY_TEST_PG_URI="$TRIBUTARY_CONN_CONSOLIDATED" mvn -B -ntp test)
}

python_tests() {
  say "pytest (config, launcher, DAG structure, airflow dags test end to end)"
  # shellcheck disable=SC1091
  . "$REPO/scripts/airflow_env.sh"
  cd "$REPO" && "$STATE/venv/bin/python" -m pytest tests
}

case "${1:-all}" in
  java) java_tests ;;
  python) python_tests ;;
  all) java_tests; python_tests ;;
  *) die "usage: $0 [java|python]" 2 ;;
esac
