#!/usr/bin/env bash
# Phase 5 of the demo, also on its own (after phases 1-2 of scripts/demo.sh): live migration of the demo's application
# source (Pagila; LIVE_SOURCE= another), whose applications reach it through PgBouncer. The follow starts where its
# copies end (tributary_follow), writes flow while a follower runs, a reconciliation pass, then the cutover (PAUSE,
# drain, verify, switch PgBouncer to the consolidated database, RESUME). An earlier demo's cutover is rolled back first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_stack_env
# shellcheck disable=SC1091
. "$REPO/scripts/airflow_env.sh"
mkdir -p "$STATE/logs" "$STATE/reports"
stamp="${1:-$(date -u +%Y%m%dT%H%M%SZ)}"

LIVE_SOURCE=${LIVE_SOURCE:-src_pagila}
conn_var="TRIBUTARY_CONN_${LIVE_SOURCE^^}" app_var="APP_CONN_${LIVE_SOURCE^^}"
psql=("$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1)
if [ "$(PYTHONPATH="$REPO/dags" python -c "from tributary import cutover; print(cutover.switched_away().get('$LIVE_SOURCE', ''))" 2>/dev/null)" = cut-over ]; then
  # An earlier demo cut it over: back to the source first (the writes made since flow back: nothing is lost).
  say "$LIVE_SOURCE was cut over by an earlier demo: tributary_rollback first"
  run_phase tributary_rollback -c "{\"sources\": \"$LIVE_SOURCE\"}" || die "phase 5: the rollback of the earlier cutover failed"
fi
rm -f "$STATE/reports/follow-outcome.json" "$STATE/reports/cutover-outcome.json"
run_phase tributary_follow -c "{\"sources\": \"$LIVE_SOURCE\"}" || die "phase 5: the follow's set-up failed"
say "outcome (phase 5, the follow's start: every followed table copied in the slot's snapshot)"
PYTHONPATH="$REPO/dags" python -m tributary.outcome "$STATE/reports/follow-outcome.json" || die "phase 5: not every copy verified"

# The dual run: a follower applies the source's changes while the applications write (a few transactions through
# PgBouncer) and tributary_reconcile compares both sides; the cutover then drives the follower itself.
stop="$STATE/follow-$LIVE_SOURCE.stop"
rm -f "$stop"
mapfile -t followed < <(PYTHONPATH="$REPO/dags" python -m tributary.follow --tables "$LIVE_SOURCE")
follow_args=()
for t in "${followed[@]}"; do follow_args+=(--table "$t"); done
follower_log="$STATE/logs/demo-follower-$stamp.log"
"$REPO/bin/tributary" follow --config "$TRIBUTARY_CONFIG" --source "$LIVE_SOURCE" "${follow_args[@]}" --stop-file "$stop" \
  >"$follower_log" 2>&1 &
follower=$!
trap 'touch "$stop"' EXIT  # the follower stops with the demo, however it ends
for _ in $(seq 120); do
  [ "$("${psql[@]}" -Atc "SELECT active FROM pg_replication_slots WHERE slot_name = 'tributary_$LIVE_SOURCE'" "${!conn_var}")" = t ] && break
  kill -0 "$follower" 2>/dev/null || die "phase 5: the follower ended: see $follower_log"
  sleep 1
done
say "follower running (log: $follower_log); 20 transactions through PgBouncer ($LIVE_SOURCE): a new actor and a film of theirs, a payment corrected"
for n in $(seq 20); do
  "${psql[@]}" "${!app_var}" -c "BEGIN;
    WITH a AS (INSERT INTO public.actor (first_name, last_name) VALUES ('DEMO', 'WRITER $n $stamp') RETURNING actor_id)
    INSERT INTO public.film_actor (actor_id, film_id) SELECT actor_id, 1 + $n % 1000 FROM a;
    UPDATE public.payment SET amount = amount + 0.01 WHERE payment_id = (SELECT min(payment_id) FROM public.payment) + $n;
    COMMIT;" || die "phase 5: a write through PgBouncer failed"
  sleep 0.3
done
run_phase tributary_reconcile -c "{\"sources\": \"$LIVE_SOURCE\"}" || die "phase 5: reconciliation failed"
say "outcome (phase 5, dual run: the last reconciliation pass of each followed table)"
"${psql[@]}" -c "SELECT count(*) AS tables, sum(rows_compared) AS rows_compared, sum(confirmed) AS confirmed_mismatches,
  sum(unsettled) AS unsettled FROM (SELECT DISTINCT ON (source_table) * FROM tributary.reconcile_passes
  WHERE source = '$LIVE_SOURCE' ORDER BY source_table, pass_id DESC) last" "$TRIBUTARY_CONN_CONSOLIDATED"
touch "$stop"
wait "$follower" || die "phase 5: the follower failed: see $follower_log"

run_phase tributary_cutover -c "{\"sources\": \"$LIVE_SOURCE\"}" || die "phase 5: the cutover failed"
say "outcome (phase 5, cutover: the tables verified inside the freeze, the freeze, where PgBouncer points now)"
PYTHONPATH="$REPO/dags" python -m tributary.outcome "$STATE/reports/cutover-outcome.json" || die "phase 5: not every table verified"
say "$LIVE_SOURCE's applications now use the consolidated database; tributary_rollback switches them back, losing no write"
