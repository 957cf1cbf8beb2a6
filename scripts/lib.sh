# Shared shell helpers for the project's scripts. Source it; it defines no side effects.
# shellcheck shell=bash

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${TRIBUTARY_STATE:-$REPO/.stack}"
SHARED="${TRIBUTARY_SHARED:-$REPO/../shared}"

say()  { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit "${2:-1}"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Debian packages are installed only when something is missing, so repeated runs stay fast.
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing OS packages: ${missing[*]}"
  local sudo=""
  is_root || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Newest PostgreSQL server installed from the OS packages.
pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (run make bootstrap)"
  printf '%s\n' "$dir"
}

# Loads the connection URIs written by `scripts/stack.sh up`.
load_stack_env() {
  [ -f "$STATE/env" ] || die "the local stack is not set up ($STATE/env missing): run make stack-up"
  set -a
  # shellcheck disable=SC1091
  . "$STATE/env"
  set +a
}

# The demo's phase runs (scripts/demo.sh, scripts/demo_live.sh): `airflow dags test`, its log under $STATE/logs
# named with the demo's $stamp.
run_phase() {  # run_phase DAG_ID [airflow dags test args...]
  local dag=$1 log="$STATE/logs/demo-${1#tributary_}-$stamp.log" started=$SECONDS
  shift
  say "airflow dags test $dag $* (log: $log)"
  if ! (cd "$STATE" && airflow dags test "$dag" "$@") >"$log" 2>&1; then
    grep -E "exit [0-9]|AirflowFailException" "$log" | tail -5 >&2 || true
    warn "$dag failed after $((SECONDS - started)) s: see $log"
    return 1
  fi
  say "$dag finished in $((SECONDS - started)) s"
}
