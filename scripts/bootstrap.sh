#!/usr/bin/env bash
# Installs what the project needs, idempotently: OS packages, uv + the locked Python env, the worker jar.
#
#   scripts/bootstrap.sh os | python | worker | all
set -euo pipefail
. "$(dirname "$0")/lib.sh"

UV_VERSION=0.13.9
VENV="$STATE/venv"

os_packages() {
  ensure_packages postgresql postgresql-contrib prometheus-pushgateway pgcopydb \
    openjdk-17-jdk-headless maven python3 python3-venv curl openssl iproute2 zstd
}

uv_bin() {  # uv itself lives in a small venv of its own, pinned
  local tools="$STATE/tools/uv-venv"
  if [ ! -x "$tools/bin/uv" ] || [ "$("$tools/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    say "installing uv $UV_VERSION"
    mkdir -p "$STATE/tools"
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
  fi
  printf '%s\n' "$tools/bin/uv"
}

python_env() {
  local uv stamp="$VENV/.lock.sha256" want
  want="$(sha256sum "$REPO/requirements.lock" | cut -d' ' -f1)"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  uv="$(uv_bin)"
  say "syncing the Python env $VENV from requirements.lock"
  [ -x "$VENV/bin/python" ] || "$uv" venv -q -p 3.11 "$VENV"
  "$uv" pip sync -q -p "$VENV/bin/python" --require-hashes "$REPO/requirements.lock"
  echo "$want" >"$stamp"
}

worker_jar() {
  say "building the worker (java-workers/target/tributary.jar)"
  (cd "$REPO/java-workers" && mvn -q -B -DskipTests package)
}

case "${1:-all}" in
  os) os_packages ;;
  python) os_packages; python_env ;;
  worker) os_packages; worker_jar ;;
  all) os_packages; python_env; worker_jar ;;
  *) die "usage: $0 os|python|worker|all" 2 ;;
esac
