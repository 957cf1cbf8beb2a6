#!/usr/bin/env bash
# Installs what the project needs, idempotently: OS packages, uv + the locked Python env, the worker jar.
#
#   scripts/bootstrap.sh os | python | worker | helm | all
set -euo pipefail
. "$(dirname "$0")/lib.sh"

UV_VERSION=0.13.9
HELM_VERSION=v3.16.4
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

# Helm is built from its Go module (no other download source is reachable here); tests lint and
# render the chart with it.
helm_bin() {
  local bin="$STATE/tools/helm" stamp="$STATE/tools/helm.version"
  # `go install` leaves no version in the binary itself, hence the stamp.
  if [ ! -x "$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$HELM_VERSION" ]; then
    command -v go >/dev/null || ensure_packages golang-go
    say "building helm $HELM_VERSION from its Go module (once; a few minutes)"
    mkdir -p "$STATE/tools"
    GOBIN="$STATE/tools" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    echo "$HELM_VERSION" >"$stamp"
  fi
}

worker_jar() {
  say "building the worker (java-workers/target/tributary.jar)"
  (cd "$REPO/java-workers" && mvn -q -B -DskipTests package)
}

case "${1:-all}" in
  os) os_packages ;;
  python) os_packages; python_env ;;
  worker) os_packages; worker_jar ;;
  helm) helm_bin ;;
  all) os_packages; python_env; worker_jar; helm_bin ;;
  *) die "usage: $0 os|python|worker|helm|all" 2 ;;
esac
