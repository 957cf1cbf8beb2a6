#!/usr/bin/env bash
# Both images, built for real and run against the local stack, on a machine that reaches no container registry:
# Debian's Docker engine (docker.io) as root, base images made from Debian packages (debootstrap + docker import).
#   scripts/images.sh build   engine up, the bases, then tributary/worker:dev and tributary/airflow:dev
#   scripts/images.sh test    build (cached after the first time), then run them: tests/test_images.py
#   scripts/images.sh down    stop the engine (images are kept in .stack/docker)
# The engine is the project's own: its socket, data and pid file live in .stack/docker, it runs below normal
# priority (CI builds the images while the e2e tier runs) and it leaves any system Docker alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DOCKER_DIR="$STATE/docker"
export DOCKER_HOST="unix://$DOCKER_DIR/docker.sock"
export DOCKER_BUILDKIT=1  # BuildKit: no container per Dockerfile step (with the vfs fallback, each one is a full copy)
DOCKER=/usr/bin/docker    # Debian's client: BuildKit built in (a newer static client elsewhere on PATH wants buildx)
SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
DEBIAN_IMAGE="tributary/debian:$SUITE"

engine_up() {
  is_root || die "the Docker engine here runs as root (Debian's docker.io); run as root or with sudo" 2
  ensure_packages docker.io debootstrap
  mkdir -p "$DOCKER_DIR"
  if "$DOCKER" info >/dev/null 2>&1; then return 0; fi
  # overlay2 where the kernel allows it; vfs (a full copy per layer, slow but works anywhere) otherwise.
  local driver
  for driver in overlay2 vfs; do
    say "starting the Docker engine ($driver storage; log: $DOCKER_DIR/dockerd.log)"
    # A short exec root: containerd's socket paths must stay under the kernel's 108 bytes.
    nice -n 10 dockerd --storage-driver="$driver" --data-root "$DOCKER_DIR/data" \
      --exec-root "/run/tributary-docker-$(cksum <<<"$STATE" | cut -d' ' -f1)" -H "$DOCKER_HOST" \
      --pidfile "$DOCKER_DIR/dockerd.pid" --iptables=false --ip-masq=false --bridge=none \
      >>"$DOCKER_DIR/dockerd.log" 2>&1 &
    for _ in $(seq 60); do
      "$DOCKER" info >/dev/null 2>&1 && return 0
      kill -0 $! 2>/dev/null || break
      sleep 0.5
    done
    kill $! 2>/dev/null || true
    wait $! 2>/dev/null || true
    warn "the engine did not start with $driver storage"
  done
  die "the Docker engine did not start: see $DOCKER_DIR/dockerd.log"
}

engine_down() {
  local pid
  [ -f "$DOCKER_DIR/dockerd.pid" ] || return 0
  pid="$(cat "$DOCKER_DIR/dockerd.pid")"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  die "dockerd ($pid) did not stop"
}

has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# build TAG DOCKERFILE CONTEXT [--build-arg ...]: containers of the build reach the registries the host reaches.
build() {
  local tag=$1 file=$2 context=$3 started=$SECONDS
  local log="$DOCKER_DIR/build-${tag//[\/:]/_}.log"
  shift 3
  say "building $tag ($file)"
  "$DOCKER" build --network host --progress plain -f "$file" -t "$tag" "$@" "$context" >"$log" 2>&1 \
    || { tail -n 40 "$log" >&2; die "building $tag failed (log above)"; }
  say "$tag built in $((SECONDS - started)) s"
}

bases() {
  if ! has_image "$DEBIAN_IMAGE"; then
    local rootfs="$DOCKER_DIR/rootfs"
    say "debootstrap $SUITE (minbase) for $DEBIAN_IMAGE"
    rm -rf "$rootfs"
    debootstrap --variant=minbase "$SUITE" "$rootfs" http://deb.debian.org/debian >"$DOCKER_DIR/debootstrap.log" 2>&1 \
      || { tail -n 20 "$DOCKER_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "$DOCKER" import - "$DEBIAN_IMAGE" >/dev/null
    rm -rf "$rootfs"
  fi
  # The bases trust what the host trusts (e.g. a TLS-inspecting proxy in front of PyPI and Maven Central).
  local ca="$DOCKER_DIR/ca"
  rm -rf "$ca" && mkdir -p "$ca"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$ca/" \; 2>/dev/null || true
  local base
  for base in jdk jre airflow; do
    has_image "tributary/base-$base:$SUITE" \
      || build "tributary/base-$base:$SUITE" "$REPO/docker/bases/$base.Dockerfile" "$ca" \
           --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE"
  done
}

images() {
  engine_up
  bases
  build tributary/worker:dev "$REPO/docker/worker.Dockerfile" "$REPO" \
    --build-arg BUILD_IMAGE="tributary/base-jdk:$SUITE" --build-arg RUNTIME_IMAGE="tributary/base-jre:$SUITE"
  build tributary/airflow:dev "$REPO/docker/airflow.Dockerfile" "$REPO" \
    --build-arg AIRFLOW_IMAGE="tributary/base-airflow:$SUITE"
}

run_tests() {
  load_stack_env
  # shellcheck disable=SC1091
  . "$REPO/scripts/airflow_env.sh"
  say "running the images against the local stack (tests/test_images.py)"
  cd "$REPO" && "$STATE/venv/bin/python" -m pytest -m images tests/test_images.py "$@"
}

case "${1:-}" in
  build) images ;;
  test) shift; images; run_tests "$@" ;;
  down) engine_down ;;
  *) die "usage: $0 build|test|down" 2 ;;
esac
