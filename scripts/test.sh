#!/usr/bin/env bash
# The test suite against the real local stack, in two tiers (README: Tests).
#   scripts/test.sh            make test: every JUnit test (in the background) beside pytest's fast tier
#   scripts/test.sh java       the JUnit tests only (mvn test)
#   scripts/test.sh python     pytest's fast tier only: everything not marked e2e
#   scripts/test.sh e2e        make test-e2e: pytest's e2e tier (the long end-to-end runs)
#   scripts/test.sh all        both tiers, one after the other
# python and e2e take pytest arguments after the tier (default: all of tests/), e.g. `scripts/test.sh python -k gate`.
# PYTEST_WORKERS (default 2) spreads the fast tier over that many pytest-xdist workers (0: one process).
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

mvn_test() {  # mvn_test [maven args...]: the JUnit tests against the local stack
  (cd "$REPO/java-workers" && TRIBUTARY_TEST_PG_URI="$TRIBUTARY_CONN_CONSOLIDATED" \
    TRIBUTARY_TEST_PAGILA_URI="${TRIBUTARY_CONN_SRC_PAGILA:-}" \
    TRIBUTARY_TEST_SOURCE_URI="${TRIBUTARY_CONN_SRC_US:-}" TRIBUTARY_TEST_TLS_CA="${TRIBUTARY_TLS_CA:-}" \
    TRIBUTARY_TEST_PG_BIN="$(pg_bindir)" \
    TRIBUTARY_TEST_TLS_OTHER_CA="${TRIBUTARY_TLS_OTHER_CA:-}" \
    TRIBUTARY_TEST_READER_URI="${TRIBUTARY_CONN_CONSOLIDATED_READER:-}" \
    TRIBUTARY_TEST_PLAIN_PG_URI="${TRIBUTARY_CONN_WAREHOUSE:-}" mvn -B -ntp test "$@")
}

# Test classes with no report: the ones a test JVM that died never finished (comma-separated for -Dtest).
unfinished_test_classes() {
  local classes="$REPO/java-workers/target/test-classes" reports="$REPO/java-workers/target/surefire-reports"
  find "$classes" -name '*Test.class' ! -name '*$*' | sed "s|^$classes/||; s|\.class$||; s|/|.|g" | sort |
    while read -r class; do [ -f "$reports/TEST-$class.xml" ] || echo "$class"; done | paste -sd, -
}

# A test JVM that dies (a crash, the kernel's OOM killer) fails the suite without a failed assertion and leaves
# the classes after it unrun. That is reported (java_failure_digest) and those classes, the one it died in first,
# run once more in a new JVM; a failed assertion anywhere is never re-run.
java_tests() {
  say "Java tests (unit + integration against the local stack)"
  local out="$STATE/logs/mvn-test.out" rc=0 unfinished
  mkdir -p "$STATE/logs"
  mvn_test 2>&1 | tee "$out" || rc=$?
  [ "$rc" -eq 0 ] && return 0
  grep -q -E "forked VM terminated|error in the forked process" "$out" || return "$rc"
  grep -q -E "^\[ERROR\] (Failures|Errors):" "$out" && return "$rc"
  unfinished="$(unfinished_test_classes)"
  [ -n "$unfinished" ] || return "$rc"
  java_failure_digest "$out" || true  # set -e is off inside it: a grep that finds nothing must not end the script
  say "the test JVM died before it finished; once more in a new JVM, the classes it did not finish: $unfinished"
  mvn_test -Dtest="$unfinished" -Dsurefire.failIfNoSpecifiedTests=false
}

# pytest_tier NAME MARKER [pytest args...]: one tier; "no test collected" (exit 5) is no failure.
pytest_tier() {
  local name=$1 marker=$2 rc=0
  shift 2
  say "pytest, $name tier (-m '$marker')"
  # shellcheck disable=SC1091
  . "$REPO/scripts/airflow_env.sh"
  cd "$REPO" && "$STATE/venv/bin/python" -m pytest -m "$marker" "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then say "pytest: no test in the $name tier"; rc=0; fi
  return "$rc"
}

# The fast tier's independent tests over both cores, the real DAG runs first (tests/conftest.py); tests of
# one xdist_group stay on one worker (those of the session's one discover run).
python_tests() {
  local workers="${PYTEST_WORKERS:-2}"
  if [ "$workers" -gt 0 ]; then
    pytest_tier fast "not e2e and not images" -n "$workers" --dist loadgroup "$@"
  else
    pytest_tier fast "not e2e and not images" "$@"
  fi
}

e2e_tests() {
  # One at a time: the S3Proxy restart and the scheduler sessions must not overlap other runs.
  pytest_tier e2e "e2e" "$@"
}

# A CI log is often read from its last lines only, below Maven's long error block: repeat there, briefly, which
# tests failed or crashed the test JVM, and whether the kernel killed a process for memory.
java_failure_digest() {
  local log=$1 reports="$REPO/java-workers/target/surefire-reports"
  say "Java tests failed; in brief:"
  awk '/^\[(ERROR|WARNING)\] (Failures|Errors):/{f=1} f&&/Tests run:/{f=0} f' "$log" | grep -E '^\[(ERROR|WARNING)\]   ' |
    cut -c1-240 | head -n 8
  grep -h -E "Crashed tests|Process Exit Code|forked VM terminated|error in the forked process|timeout in the fork" \
    "$log" | sort -u | cut -c1-240 | head -n 4
  grep -h -A2 "Crashed tests:" "$log" | grep -v "Crashed tests" | cut -c1-240 | head -n 2
  find "$reports" \( -name '*.dump' -o -name '*.dumpstream' \) -exec tail -n 3 {} + 2>/dev/null | cut -c1-240 | tail -n 3
  dmesg 2>/dev/null | grep -i -E "out of memory|oom-kill|killed process" | tail -n 2 || true
}

# make test: the Java suite runs in the background while pytest's fast tier runs: they share no state (each
# test makes its own scratch databases and buckets on the stack) and together keep both cores busy.
fast_tests() {
  local log="$STATE/logs/test-java.log" java_pid java_rc=0 py_rc=0 started=$SECONDS
  mkdir -p "$STATE/logs"
  say "Java tests in the background (log: $log)"
  (java_tests) >"$log" 2>&1 &
  java_pid=$!
  python_tests "$@" || py_rc=$?
  say "pytest done after $((SECONDS - started)) s; waiting for the Java tests"
  wait "$java_pid" || java_rc=$?
  cat "$log"
  [ "$java_rc" -eq 0 ] || java_failure_digest "$log" || true
  say "Java tests: exit $java_rc; pytest: exit $py_rc ($((SECONDS - started)) s in all)"
  [ "$java_rc" -eq 0 ] && [ "$py_rc" -eq 0 ]
}

start_moto
mode="${1:-fast}"
[ "$#" -gt 0 ] && shift
case "$mode" in
  fast) fast_tests "$@" ;;
  java) java_tests ;;
  python) python_tests "$@" ;;
  e2e) e2e_tests "$@" ;;
  all) fast_tests "$@"; e2e_tests ;;
  *) die "usage: $0 [fast|java|python|e2e|all] [pytest args]" 2 ;;
esac
