#!/usr/bin/env python3
"""Expected row counts and planted conflicts of scripts/sample_data/load.sh, for any DEMO_SCALE.

    python3 scripts/sample_data/expected.py [--scale S]            # print the expectations (JSON)
    python3 scripts/sample_data/expected.py [--scale S] --check    # compare with the loaded instances

--check reads PSQL_SRC_EU, PSQL_SRC_US and PSQL_SRC_PAGILA (libpq strings, as for load.sh; any role
that can read the tables will do) and uses the psql binary (PSQL, default "psql"). Exit code 0 when
everything matches, 3 on a mismatch, 2 on bad input.

Tests can also import it:  from expected import expected;  e = expected("1")

Every formula here mirrors sql/trading_sizes.sql and sql/trading_app.sql; the values marked
"derived" depend on generated data (they are deterministic, so they are listed for scales 1 and 0.1).
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal


def n(base, scale, minimum=1):
    """greatest(minimum, round(base * scale)) with PostgreSQL's numeric round (half away from zero)."""
    return max(minimum, int((Decimal(base) * Decimal(str(scale))).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def trade_id(i):
    """Trade number i (1..n) has id i + 3*(i/97): ids have gaps."""
    return i + 3 * (i // 97)


# values that depend on the generated data (deterministic), per canonical scale
DERIVED = {
    "1": {
        "src_eu": {"public.positions": 7720, "public.backup_users_20200101": 284},
        "src_us": {"public.positions": 6310, "public.backup_users_20200101": 217,
                   "us_users_restricted": 72, "us_positions_qty_beyond_4dp": 1622},
    },
    "0.1": {
        "src_eu": {"public.positions": 761, "public.backup_users_20200101": 24},
        "src_us": {"public.positions": 616, "public.backup_users_20200101": 21,
                   "us_users_restricted": 7, "us_positions_qty_beyond_4dp": 181},
    },
}

PAGILA = {  # the published dataset, loaded as is
    "public.actor": 200, "public.address": 603, "public.category": 16, "public.city": 600,
    "public.country": 109, "public.customer": 599, "public.film": 1000, "public.film_actor": 5462,
    "public.film_category": 1000, "public.inventory": 4581, "public.language": 6,
    "public.payment": 16049, "public.rental": 16044, "public.staff": 2, "public.store": 2,
    "public.rental_by_category": 16,
}


def canonical(scale):
    x = ("%.6f" % float(scale)).rstrip("0").rstrip(".")
    return x


def expected(scale="1"):
    s = canonical(scale)
    eu = {"users": n(5000, s), "strategies": n(40, s), "trades": n(50000, s), "ai_decisions": n(10000, s),
          "ai_calibration_log": n(2000, s), "agent_status": n(24, s, 6), "fills": n(50000, s),
          "ticks": n(200000, s), "order_book_snapshots": n(20000, s), "vendor_feed_quotes": n(30000, s),
          "tmp_import_2019": n(3000, s), "legacy_promo_codes": n(600, s), "old_kyc_audit_2018": n(1500, s)}
    us = {"users": n(4000, s), "strategies": n(30, s), "trades": n(45000, s), "ai_decisions": n(8000, s),
          "ai_calibration_log": n(1600, s), "agent_status": n(18, s, 6), "fills": n(20000, s),
          "tmp_import_2019": n(2500, s), "legacy_promo_codes": n(400, s), "zz_trades_fix_2021": n(800, s)}

    def app(c):
        return {
            "public.users": c["users"], "public.strategies": c["strategies"], "public.trades": c["trades"],
            "public.ai_decisions": c["ai_decisions"], "public.ai_decision_features": 3 * c["ai_decisions"],
            "public.ai_trade_outcomes": c["ai_decisions"] - c["ai_decisions"] // 5,
            "public.ai_calibration_log": c["ai_calibration_log"], "public.agent_status": c["agent_status"],
            "market.fills": c["fills"],
            "public.tmp_import_2019": c["tmp_import_2019"], "public.legacy_promo_codes": c["legacy_promo_codes"],
        }

    t_eu = app(eu)
    t_eu.update({"market.ticks": eu["ticks"], "market.order_book_snapshots": eu["order_book_snapshots"],
                 "market.vendor_feed_quotes": eu["vendor_feed_quotes"],
                 "public.old_kyc_audit_2018": eu["old_kyc_audit_2018"]})
    t_us = app(us)
    t_us.update({"public.zz_trades_fix_2021": us["zz_trades_fix_2021"]})

    n_eu, n_us = eu["users"], us["users"]
    shared_js = [j for j in range(12, n_us + 1, 12)]                         # US user j, j % 12 = 0
    kinds = {"identical": (0, 1, 2), "us_newer": (3, 4, 5), "eu_newer": (6, 7, 8), "tie": (9,)}
    by_kind = {k: sum(1 for j in shared_js if (j // 12) % 10 in r) for k, r in kinds.items()}
    case_js = [j for j in range(1, n_us + 1) if j % 100 == 50]
    conflicts = {
        "users_id_collisions": len(set(range(1, n_eu + 1)) & set(range(1, n_us + 1))),
        "users_same_email": len(shared_js),
        "users_same_email_by_kind": by_kind,
        "users_email_case_variants": len(case_js),
        "users_same_email_case_insensitive": len(shared_js) + len(case_js),
        "users_same_person_same_id": sum(1 for j in shared_js + case_js if j == n_eu + 1 - j),
        "trades_id_collisions": len({trade_id(i) for i in range(1, eu["trades"] + 1)}
                                    & {trade_id(i) for i in range(1, us["trades"] + 1)}),
        "strategies_same_code_and_id": min(eu["strategies"], us["strategies"]),
        "agent_status_same_agent_id": min(eu["agent_status"], us["agent_status"]),
        "us_agent_status_heartbeat_seq_beyond_int4": (us["agent_status"] + 2) // 6,
        "us_agent_status_version_longer_than_16": us["agent_status"] // 4,
        "stale_tables": {
            "src_eu": ["public.tmp_import_2019", "public.legacy_promo_codes",
                       "public.backup_users_20200101", "public.old_kyc_audit_2018"],
            "src_us": ["public.tmp_import_2019", "public.legacy_promo_codes",
                       "public.backup_users_20200101", "public.zz_trades_fix_2021"],
        },
    }
    return {"scale": s, "tables": {"src_eu": t_eu, "src_us": t_us, "src_pagila": dict(PAGILA)},
            "conflicts": conflicts, "derived": DERIVED.get(s)}


# ---------------------------------------------------------------------------- --check
def psql(conn, sql):
    out = subprocess.run([os.environ.get("PSQL", "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conn,
                          "-c", "COPY (" + sql + ") TO STDOUT WITH (FORMAT csv)"],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.reader(io.StringIO(out)))


def check(e):
    conns = {i: os.environ.get("PSQL_SRC_" + i.split("_")[1].upper()) for i in ("src_eu", "src_us", "src_pagila")}
    if not all(conns.values()):
        print("set PSQL_SRC_EU, PSQL_SRC_US and PSQL_SRC_PAGILA", file=sys.stderr)
        return 2
    bad = []

    def cmp(what, want, got):
        if want != got:
            bad.append(f"{what}: expected {want}, got {got}")

    stale = e["conflicts"]["stale_tables"]

    def rows(inst, t, want):
        if t in stale.get(inst, ()):
            # never read a stale table: that would spoil its "no reads" statistics. Use the planner's
            # row count (exact after load.sh's ANALYZE while the table has < 30000 rows) and check
            # that nothing has read it.
            rt, seq, idx = psql(conns[inst], "SELECT c.reltuples::bigint, s.seq_scan, coalesce(s.idx_scan, 0) "
                                f"FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = '{t}'::regclass")[0]
            if want < 30000:
                cmp(f"{inst} {t} rows (reltuples)", want, int(rt))
            elif abs(int(rt) - want) > want * 0.05:
                cmp(f"{inst} {t} rows (reltuples, +-5%)", want, int(rt))
            cmp(f"{inst} {t} seq_scan+idx_scan (stale: never read)", 0, int(seq) + int(idx))
        else:
            cmp(f"{inst} {t} rows", want, int(psql(conns[inst], f"SELECT count(*) FROM {t}")[0][0]))

    for inst, tables in e["tables"].items():
        for t, want in tables.items():
            rows(inst, t, want)
    for inst, vals in (e["derived"] or {}).items():
        for t, want in vals.items():
            if t.startswith("public."):
                rows(inst, t, want)
    q = "SELECT id, email, full_name, status, updated_at FROM public.users"
    eu = {r[1]: r for r in psql(conns["src_eu"], q)}
    us = {r[1]: r for r in psql(conns["src_us"], q)}
    c = e["conflicts"]
    same = set(eu) & set(us)
    cmp("users_id_collisions", c["users_id_collisions"], len({r[0] for r in eu.values()} & {r[0] for r in us.values()}))
    cmp("users_same_email", c["users_same_email"], len(same))
    cmp("users_same_email_case_insensitive", c["users_same_email_case_insensitive"],
        len({k.lower() for k in eu} & {k.lower() for k in us}))
    kinds = {"identical": 0, "us_newer": 0, "eu_newer": 0, "tie": 0}
    for m in same:
        a, b = eu[m], us[m]
        if a[2:] == b[2:]:
            kinds["identical"] += 1
        elif b[4] > a[4]:
            kinds["us_newer"] += 1
        elif a[4] > b[4]:
            kinds["eu_newer"] += 1
        else:
            kinds["tie"] += 1
    cmp("users_same_email_by_kind", c["users_same_email_by_kind"], kinds)
    ids = lambda conn: {r[0] for r in psql(conn, "SELECT id FROM public.trades")}
    cmp("trades_id_collisions", c["trades_id_collisions"], len(ids(conns["src_eu"]) & ids(conns["src_us"])))
    cmp("us_agent_status_heartbeat_seq_beyond_int4", c["us_agent_status_heartbeat_seq_beyond_int4"],
        int(psql(conns["src_us"], "SELECT count(*) FROM public.agent_status WHERE heartbeat_seq > 2147483647")[0][0]))
    cmp("us_agent_status_version_longer_than_16", c["us_agent_status_version_longer_than_16"],
        int(psql(conns["src_us"], "SELECT count(*) FROM public.agent_status WHERE length(version) > 16")[0][0]))
    d = (e["derived"] or {}).get("src_us", {})
    if d:
        cmp("us_users_restricted", d["us_users_restricted"],
            int(psql(conns["src_us"], "SELECT count(*) FROM public.users WHERE status = 'restricted'")[0][0]))
        cmp("us_positions_qty_beyond_4dp", d["us_positions_qty_beyond_4dp"],
            int(psql(conns["src_us"], "SELECT count(*) FROM public.positions WHERE qty <> round(qty, 4)")[0][0]))
    for m in bad:
        print("MISMATCH " + m)
    print("sample data matches expectations at scale %s" % e["scale"] if not bad else "%d mismatches" % len(bad))
    return 3 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default=os.environ.get("DEMO_SCALE", "1"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    try:
        if float(a.scale) <= 0:
            raise ValueError
    except ValueError:
        print("--scale must be a positive number", file=sys.stderr)
        return 2
    e = expected(a.scale)
    if a.check:
        return check(e)
    print(json.dumps(e, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
