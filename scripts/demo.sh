#!/usr/bin/env bash
# The demo's Airflow part: run the phases in order with `airflow dags test`, print what each produced.
# Exits non-zero unless every phase succeeded and every table verified. Safe to run again: the plan is
# rebuilt, and the worker's ledger makes copies that already happened no-ops.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env
# shellcheck disable=SC1091
. "$REPO/scripts/airflow_env.sh"

mkdir -p "$STATE/logs" "$STATE/reports"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

say "Airflow metadata ($AIRFLOW_HOME/airflow.db) and pools (one per source, from migration.yaml)"
{ airflow db migrate && airflow dags reserialize && tributary_airflow_pools; } >"$STATE/logs/airflow-setup-$stamp.log" 2>&1 \
  || die "airflow db migrate / dags reserialize / pools failed: see $STATE/logs/airflow-setup-$stamp.log"

# Phase 1: discover, classify, plan.
rm -f "$STATE/plan/plan.json"  # what is printed below must come from this run
# The HTML report is built however the demo ends: it shows what failed too.
trap 'say "migration report: $(PYTHONPATH="$REPO/dags" python -m tributary.report 2>/dev/null || echo "could not be built")"' EXIT

run_phase tributary_discover || die "phase 1 failed"
PYTHONPATH="$REPO/dags" python -m tributary.plan "$STATE/plan/plan.json"
say "plan report: $STATE/plan/plan.md"

# Phase 2: consolidate every application table of the plan: the two trading instances' (src_eu + src_us:
# many-to-one, keys remapped, duplicate customers folded, drifted columns widened or added) and all of
# Pagila's (CONSOLIDATE_TABLES_FROM=config takes only migration.yaml's consolidate.tables instead).
report="$STATE/reports/consolidate-outcome.json"
rm -f "$report"
rc=0
run_phase tributary_consolidate -c "{\"tables_from\": \"${CONSOLIDATE_TABLES_FROM:-plan}\"}" || rc=$?
[ -f "$report" ] || die "tributary_consolidate wrote no outcome: see $STATE/logs"
say "outcome (phase 2, consolidate)"
PYTHONPATH="$REPO/dags" python -m tributary.outcome "$report" || rc=1
[ "$rc" -eq 0 ] || die "not everything verified" "$rc"
say "all tables verified (control schema: bin/tributary status --config $TRIBUTARY_CONFIG)"

# Phase 3: warehouse. The sample market data spans 2026-05-01 .. 2026-10-31 (UTC). One run at the window
# opening of the trading day that holds its last rows (Mon 2 Nov: the weekend folds into it), with the
# load_from Param, loads every trading day from the first as its own partition (one stage and one load
# worker call per table, each day staged, loaded and verified on its own: the initial load of a new table).
# Scheduled runs then load one trading day each; `airflow backfill create` reloads a range day by day.
WAREHOUSE_FROM=${WAREHOUSE_FROM:-2026-05-01}
WAREHOUSE_TO=${WAREHOUSE_TO:-2026-11-02}
WAREHOUSE_WEEK=${WAREHOUSE_WEEK:-"2026-10-23 2026-10-26 2026-10-27 2026-10-28 2026-10-29"}  # Fri, the weekend, Mon-Thu
warehouse_run() {  # warehouse_run LOAD_FROM SESSION LABEL: one `airflow dags test` loading LOAD_FROM .. SESSION
  local at log="$STATE/logs/demo-warehouse-$3-$stamp.log" started=$SECONDS
  at="$(PYTHONPATH="$REPO/dags" python -m tributary.warehouse --window-open "$2")"
  say "airflow dags test tributary_warehouse $at -c '{\"load_from\": \"$1\"}'  (trading days $1 .. $2, log: $log)"
  if ! (cd "$STATE" && airflow dags test tributary_warehouse "$at" -c "{\"load_from\": \"$1\"}") >"$log" 2>&1; then
    warn "warehouse run $1 .. $2 failed after $((SECONDS - started)) s: see $log"
    return 1
  fi
  say "warehouse run $1 .. $2 finished in $((SECONDS - started)) s"
}
rm -rf "$STATE/reports/warehouse" "$STATE/reports/warehouse-series.json"
warehouse_run "$WAREHOUSE_FROM" "$WAREHOUSE_TO" initial || rc=1
say "outcome (phase 3, warehouse: every trading day its own verified partition)"
PYTHONPATH="$REPO/dags" python -m tributary.warehouse --series --complete || rc=1
[ "$rc" -eq 0 ] || die "not every warehouse partition verified" "$rc"
# shellcheck disable=SC2086
week_before="$(PYTHONPATH="$REPO/dags" python -m tributary.warehouse $WAREHOUSE_WEEK)"
say "a past week again (idempotent: the same partitions are replaced, not appended)"
set -- $WAREHOUSE_WEEK
warehouse_run "$1" "${@: -1}" week || rc=1
# shellcheck disable=SC2086
week_after="$(PYTHONPATH="$REPO/dags" python -m tributary.warehouse $WAREHOUSE_WEEK)" || rc=1
printf '%s\n' "$week_after"
if [ "$week_before" = "$week_after" ]; then
  say "re-run of the week: same rows, same checksums in every partition"
else
  warn "re-run of the week changed a partition's figures:"; diff <(echo "$week_before") <(echo "$week_after") >&2 || true
  rc=1
fi
[ "$rc" -eq 0 ] || die "not every warehouse partition verified" "$rc"
say "all warehouse partitions verified (results: $STATE/reports/warehouse/<trading day>.json)"

# Phase 4: archive the plan's unknown/unused tables into the local S3 (S3Proxy: persistent, but NOT
# encrypted at rest, see README), verify each by reading it back, then print the catalog.
report="$STATE/reports/archive-outcome.json"
rm -f "$report"
run_phase tributary_archive || rc=$?
[ -f "$report" ] || die "tributary_archive wrote no outcome: see $STATE/logs"
say "outcome (phase 4, archive)"
PYTHONPATH="$REPO/dags" python -m tributary.outcome "$report" || rc=1
say "archive catalog (bin/tributary catalog search; restore one with the tributary_restore DAG)"
"$REPO/bin/tributary" catalog search --config "$TRIBUTARY_CONFIG" >/dev/null || rc=1
[ "$rc" -eq 0 ] || die "not every archive verified" "$rc"
say "all archives verified"


# Phase 5: live migration of the demo's application source through PgBouncer (scripts/demo_live.sh; runs alone too).
"$REPO/scripts/demo_live.sh" "$stamp" || die "phase 5 failed" $?
