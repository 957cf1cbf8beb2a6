#!/usr/bin/env bash
# `make bench`: Tributary against pgcopydb, pg_dump | psql and the raw COPY limit on the local stack.
#   BENCH_ROWS=5000000 BENCH_REPEAT=3 scripts/bench.sh     (see bench/harness.py and docs/benchmark.md)
# Writes bench/results/latest.json + latest.md and the README's results table; prints the table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env
ensure_packages pgcopydb zstd  # bootstrap installs them too; `make bench` must work on its own
cd "$REPO"
say "benchmark: ${BENCH_ROWS:-5000000} rows, ${BENCH_REPEAT:-3} alternating repetitions (machine load now: $(cut -d' ' -f1 /proc/loadavg))"
exec "$STATE/venv/bin/python" -m bench
