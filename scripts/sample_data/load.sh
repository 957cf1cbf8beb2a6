#!/usr/bin/env bash
# Load Tributary's three sample source instances:
#   src_eu      database `trading`: the EU trading application (public) + broker/market data (market)
#   src_us      database `trading`: the US build of the same application (drifted) + US broker fills
#   src_pagila  database `pagila`:  the Pagila legacy application, from ../shared/datasets/pagila
#
# Usage: scripts/sample_data/load.sh        (see scripts/sample_data/README.md)
#
# Environment:
#   PSQL_SRC_EU, PSQL_SRC_US, PSQL_SRC_PAGILA   libpq connection string or URI of a SUPERUSER
#                      session on each instance's target database (required).
#   DEMO_SCALE         row-count multiplier, a positive decimal (default 1: ~600k rows in all).
#   PAGILA_DIR         default <repo>/../shared/datasets/pagila
#   SAMPLE_OWNER       role that must own everything afterwards (default tributary; must exist).
#   SAMPLE_FORCE=1     reload even if the instance is already loaded and unchanged.
#   SAMPLE_VERBOSE=1   print per-table row counts after loading.
#   PSQL               psql binary (default: psql on PATH, else /usr/lib/postgresql/<newest>/bin/psql).
#
# Idempotency: "already loaded at this scale -> skip". Each database carries a marker in its
# COMMENT (COMMENT ON DATABASE; no table or schema is added, so discovery sees nothing extra):
#   tributary-sample-data kind=<kind> scale=<scale> gen=<generator hash> xid=<load xid> fp=<fingerprint>
# An instance is skipped only if kind, scale and generator hash (sha256 of these scripts, plus the
# Pagila files for src_pagila) match AND a fresh fingerprint still matches: same catalog (relations,
# columns, constraints, indexes, enum labels, routines, object ids and relfilenodes), same row
# counts, and no row written after the load (xmin newer than the marker's xid). Anything else -- a
# table dropped or archived away, rows written by a CDC test, another scale, a changed generator --
# drops what the loader owns (schemas public and market on the trading databases, public on pagila;
# extension members in public are kept) and loads again. Pagila loads in one transaction. A trading
# instance is reset and its marker cleared first, then its parts (public; market; market.ticks on
# src_eu) are generated in parallel sessions, then ownership and the marker are written: a failure
# part-way leaves no marker, so the next run reloads.
# Both paths end in the same statistics state: the planted stale tables have zero scans and zero
# index scans (their counters are reset), every live table has been read.
#
# Exit codes: 0 ok, 2 bad input or an instance not reachable/usable (nothing changed), 1 a load failed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SQL="$HERE/sql"
PSQL="${PSQL:-}"
if [[ -z $PSQL ]]; then   # psql on PATH, else the newest Debian/Ubuntu server package's psql
  PSQL=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1 || true)
fi
export PGAPPNAME="${PGAPPNAME:-tributary-sample-load}"
PAGILA_DIR="${PAGILA_DIR:-$REPO/../shared/datasets/pagila}"
SAMPLE_OWNER="${SAMPLE_OWNER:-tributary}"
SAMPLE_FORCE="${SAMPLE_FORCE:-0}"
SAMPLE_VERBOSE="${SAMPLE_VERBOSE:-0}"
DEMO_SCALE="${DEMO_SCALE:-1}"

die() { echo "load.sh: $*" >&2; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------------------ input checks
[[ -n $PSQL ]] && command -v "$PSQL" >/dev/null 2>&1 || die "psql not found (set PSQL=/path/to/psql)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found"
[[ $DEMO_SCALE =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ ]] || die "DEMO_SCALE must be a positive decimal number, got '$DEMO_SCALE'"
# canonical form, so 1, 1.0 and 01 are the same scale (6 decimals are plenty)
SCALE="$(awk -v s="$DEMO_SCALE" 'BEGIN { x = sprintf("%.6f", s); sub(/0+$/, "", x); sub(/[.]$/, "", x); print x }')"
[[ $SAMPLE_OWNER =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "SAMPLE_OWNER must be a plain role name, got '$SAMPLE_OWNER'"
[[ $SCALE != 0 ]] || die "DEMO_SCALE must be > 0 (at least 0.000001), got '$DEMO_SCALE'"
[[ -n ${PSQL_SRC_EU:-} ]] || die "PSQL_SRC_EU is not set (superuser connection to src_eu, database trading)"
[[ -n ${PSQL_SRC_US:-} ]] || die "PSQL_SRC_US is not set (superuser connection to src_us, database trading)"
[[ -n ${PSQL_SRC_PAGILA:-} ]] || die "PSQL_SRC_PAGILA is not set (superuser connection to src_pagila, database pagila)"
PAGILA_SCHEMA="$PAGILA_DIR/pagila-schema.sql"
PAGILA_DATA="$PAGILA_DIR/pagila-data.sql"
[[ -r $PAGILA_SCHEMA && -r $PAGILA_DATA ]] || die "Pagila not found in $PAGILA_DIR (set PAGILA_DIR)"

GEN_TRADING="$(cat "$HERE/load.sh" "$SQL"/*.sql | sha256sum | cut -c1-16)"
GEN_PAGILA="$(cat "$HERE/load.sh" "$SQL"/*.sql "$PAGILA_SCHEMA" "$PAGILA_DATA" | sha256sum | cut -c1-16)"

STALE_EU="public.tmp_import_2019,public.legacy_promo_codes,public.backup_users_20200101,public.old_kyc_audit_2018"
STALE_US="public.tmp_import_2019,public.legacy_promo_codes,public.backup_users_20200101,public.zz_trades_fix_2021"

# ------------------------------------------------------------------ preflight (changes nothing)
# preflight ID CONN: reachable, PostgreSQL 13+, superuser session, owner role exists.
preflight() {
  local id=$1 conn=$2 out pg13 super has_owner
  out=$("$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$conn" -c "
        SELECT current_setting('server_version_num')::int >= 130000,
               (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
               EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$SAMPLE_OWNER')" 2>&1) \
    || { echo "load.sh: $id: cannot connect: ${out//$'\n'/ }" >&2; return 1; }
  IFS='|' read -r pg13 super has_owner <<<"$out"
  [[ $pg13 == t ]] || { echo "load.sh: $id: PostgreSQL 13 or later required" >&2; return 1; }
  [[ $super == t ]] || { echo "load.sh: $id: the connection must be a superuser session (postgres)" >&2; return 1; }
  [[ $has_owner == t ]] || { echo "load.sh: $id: role '$SAMPLE_OWNER' does not exist (the stack creates it)" >&2; return 1; }
}

# ------------------------------------------------------------------ one instance
# load_instance ID KIND CONN SCHEMAS STALE SCALE GEN [psql -v args...]
# KIND trading-eu / trading-us: begin, then the parts (app, market, and ticks on EU) in
# parallel sessions, then end. KIND pagila: one session, one transaction.
load_instance() {
  local id=$1 kind=$2 conn=$3 schemas=$4 stale=$5 scale=$6 gen=$7
  shift 7
  local t0; t0=$(now)
  local -a psql=("$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$conn")
  local -a vars=(-v "owner=$SAMPLE_OWNER" -v "kind=$kind" -v "gen=$gen" -v "scale=$scale"
                 -v "schemas=$schemas" -v "stale=$stale" "$@")

  local db
  db=$("${psql[@]}" -At -c "SELECT current_database()")
  local marker
  marker=$("${psql[@]}" -At -c "SELECT coalesce(shobj_description(oid, 'pg_database'), '')
                                 FROM pg_database WHERE datname = current_database()")
  local want="tributary-sample-data kind=$kind scale=$scale gen=$gen "
  if [[ $SAMPLE_FORCE != 1 && $marker == "$want"* ]]; then
    local xid fp cur
    xid=$(sed -n 's/.* xid=\([0-9]*\).*/\1/p' <<<"$marker")
    fp=$(sed -n 's/.* fp=\([0-9a-f]*\).*/\1/p' <<<"$marker")
    cur=$("${psql[@]}" -At -f "$SQL/lib.sql" -c "SELECT pg_temp.fingerprint(string_to_array('$schemas', ','), ${xid:-0}, string_to_array('$stale', ','))")
    if [[ -n $fp && $cur == "$fp" ]]; then
      "${psql[@]}" "${vars[@]}" -c '\o /dev/null' -f "$SQL/lib.sql" -f "$SQL/post.sql"
      echo "already loaded in database $db at scale $scale and unchanged: skipped ($(since "$t0")s)"
      return 0
    fi
    echo "database $db was loaded at this scale but has changed since: reloading"
  elif [[ $SAMPLE_FORCE != 1 && $marker == tributary-sample-data* ]]; then
    echo "database $db holds sample data of another scale or generator version: reloading"
  fi

  echo "loading database $db (scale $scale)"
  if [[ $kind == pagila ]]; then
    "${psql[@]}" "${vars[@]}" -f "$SQL/pagila_begin.sql" -f "$PAGILA_SCHEMA" -f "$PAGILA_DATA" -f "$SQL/pagila_end.sql"
  else
    "${psql[@]}" "${vars[@]}" -f "$SQL/trading_begin.sql"
    local -a parts=(app market) pids=()
    [[ $kind == trading-eu ]] && parts+=(ticks)
    local part rc=0 p
    for part in "${parts[@]}"; do
      ( t1=$(now); "${psql[@]}" "${vars[@]}" -v "part=$part" -f "$SQL/trading_part.sql"
        echo "  part $part done ($(since "$t1")s)" ) &
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    ((rc == 0)) || { echo "generation failed (the database has no marker now; the next run reloads it)"; return 1; }
    echo "  owner, marker, usage statistics"
    "${psql[@]}" "${vars[@]}" -f "$SQL/trading_end.sql"
  fi

  local summary
  summary=$("${psql[@]}" -At -F ' ' -c "
    SELECT count(*), coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (string_to_array('$schemas', ',')) AND c.relkind = 'r'")
  echo "loaded $db: ${summary% *} tables, ~${summary#* } rows ($(since "$t0")s)"
  if [[ $SAMPLE_VERBOSE == 1 ]]; then
    "${psql[@]}" -At -F $'\t' -c "
      SELECT format('%I.%I', n.nspname, c.relname), c.reltuples::bigint
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY (string_to_array('$schemas', ',')) AND c.relkind = 'r'
      ORDER BY 1" | sed 's/^/    /'
  fi
}

# ------------------------------------------------------------------ run the three in parallel
T0=$(now)
ok=1
preflight src_eu "$PSQL_SRC_EU" || ok=0
preflight src_us "$PSQL_SRC_US" || ok=0
preflight src_pagila "$PSQL_SRC_PAGILA" || ok=0
((ok)) || exit 2
echo "sample data: DEMO_SCALE=$SCALE, owner role $SAMPLE_OWNER"
declare -A PIDS=()
run() {
  local id=$1; shift
  ( load_instance "$@" 2>&1 | sed -u "s/^/[$id] /" ) &
  PIDS[$id]=$!
}
run src_eu     src_eu     trading-eu "$PSQL_SRC_EU"     public,market "$STALE_EU" "$SCALE" "$GEN_TRADING" \
    -v region=eu -v is_us=false -v seed=1000
run src_us     src_us     trading-us "$PSQL_SRC_US"     public,market "$STALE_US" "$SCALE" "$GEN_TRADING" \
    -v region=us -v is_us=true -v seed=2000
run src_pagila src_pagila pagila     "$PSQL_SRC_PAGILA" public        ""          "n/a"    "$GEN_PAGILA"

failed=()
for id in src_eu src_us src_pagila; do
  wait "${PIDS[$id]}" || failed+=("$id")
done
if ((${#failed[@]})); then
  echo "sample data: FAILED on ${failed[*]} after $(since "$T0")s" >&2
  exit 1
fi
echo "sample data: done in $(since "$T0")s"
