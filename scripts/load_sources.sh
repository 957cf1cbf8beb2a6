#!/usr/bin/env bash
# Loads the sample sources into the running local stack (generated fintech data + Pagila).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env
[ -f "$SHARED/datasets/pagila/pagila-schema.sql" ] \
  || die "Pagila not found at $SHARED/datasets/pagila (clone with ../shared beside the repo, or set TRIBUTARY_SHARED)" 2
PSQL_SRC_EU="$PSQL_ADMIN_SRC_EU" PSQL_SRC_US="$PSQL_ADMIN_SRC_US" PSQL_SRC_PAGILA="$PSQL_ADMIN_SRC_PAGILA" \
PAGILA_DIR="$SHARED/datasets/pagila" DEMO_SCALE="${DEMO_SCALE:-1}" \
  exec "$REPO/scripts/sample_data/load.sh"
