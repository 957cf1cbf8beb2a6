"""Medians, ratios and goals; bench/results/latest.json + latest.md; the README's results section."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

BEGIN = "<!-- BEGIN bench results (written by `make bench`: bench/report.py) -->"
END = "<!-- END bench results -->"

# (id, what, row, reference row, factor, "le"/"ge") — the goals; benchmark goals, not timed tests.
GOALS = [
    ("copy_pk_vs_pgcopydb", "tributary copy + PK ≤ 0.65 × pgcopydb", "tributary_copy", "pgcopydb", 0.65),
    ("copy_pk_vs_raw", "tributary copy + PK ≤ 1.15 × the raw limit", "tributary_copy", "raw_copy", 1.15),
    ("copy_verified_vs_pgcopydb", "tributary copy + verification ≤ 1.1 × pgcopydb (which verifies nothing)",
     "tributary_copy_verified", "pgcopydb", 1.10),
    ("diff_identical_vs_reladiff", "tributary diff ≤ 0.5 × reladiff (identical tables)",
     "tributary_diff_identical", "reladiff_identical", 0.5),
    ("diff_10_vs_reladiff", "tributary diff ≤ 0.5 × reladiff (10 planted differences)",
     "tributary_diff_diff10", "reladiff_diff10", 0.5),
]
RSS_LIMIT_MB = 300
CDC_GOAL = 10_000
FREEZE_GOAL = 1.0


def build(entries: dict[str, dict], meta: dict) -> dict:
    rows = []
    for e in entries.values():
        e = dict(e)
        if e["runs"] and e["status"] == "ok":
            e["median_seconds"] = round(statistics.median(e["runs"]), 3)
            if e.get("rows"):
                e["rows_per_s"] = round(e["rows"] / e["median_seconds"]) if e["median_seconds"] else None
        rows.append(e)
    by_id = {e["id"]: e for e in rows}
    for e in rows:
        if e["kind"] == "copy" and "median_seconds" in e:
            for ref, name in (("pgcopydb", "ratio_pgcopydb"), ("raw_copy", "ratio_raw")):
                base = by_id.get(ref, {}).get("median_seconds")
                e[name] = round(e["median_seconds"] / base, 2) if base else None
        if e["kind"] == "diff" and "median_seconds" in e:
            other = e["id"].replace("tributary_diff", "reladiff") if e["id"].startswith("tributary") else None
            base = by_id.get(other or "", {}).get("median_seconds")
            e["ratio_reladiff"] = round(e["median_seconds"] / base, 2) if base else None
        if e["kind"] == "stage" and e["id"] == "tributary_stage" and "median_seconds" in e:
            base = by_id.get("copy_zstd", {}).get("median_seconds")
            e["ratio_zstd"] = round(e["median_seconds"] / base, 2) if base else None

    goals = []
    for gid, what, row, ref, factor in GOALS:
        a, b = by_id.get(row, {}).get("median_seconds"), by_id.get(ref, {}).get("median_seconds")
        if a is None or b is None:
            goals.append({"id": gid, "goal": what, "status": "n/a", "value": None})
        else:
            ratio = a / b
            goal = {"id": gid, "goal": what, "value": f"{ratio:.2f} ×",
                    "status": "met" if ratio <= factor else "not met"}
            floor = by_id.get("raw_copy", {}).get("median_seconds")
            if ratio > factor and ref == "pgcopydb" and floor and floor / b > factor:
                # No tool that moves rows through PostgreSQL's COPY can beat the raw pipe.
                goal["note"] = f"unreachable here: the raw COPY pipe itself is {floor / b:.2f} × pgcopydb"
            goals.append(goal)
    # Every worker row (copy, diff, stage, rss) reports its peak RSS; the other tools' rows do not.
    rss = [(e["rows"], e["peak_rss_mb"]) for e in rows if e.get("peak_rss_mb") and e.get("rows")]
    by_size: dict[int, float] = {}
    for n, mb in rss:
        by_size[n] = max(by_size.get(n, 0), mb)
    if by_size:
        worst = max(by_size.values())
        goals.append({"id": "worker_peak_rss", "goal": f"worker peak RSS ≤ {RSS_LIMIT_MB} MB at every size",
                      "value": ", ".join(f"{mb:.0f} MB at {n:,} rows" for n, mb in sorted(by_size.items())),
                      "status": "met" if worst <= RSS_LIMIT_MB else "not met"})
    else:
        goals.append({"id": "worker_peak_rss", "goal": f"worker peak RSS ≤ {RSS_LIMIT_MB} MB at every size",
                      "value": None, "status": "n/a"})
    cdc = by_id.get("tributary_follow", {}).get("rows_per_s")
    goals.append({"id": "cdc_apply", "goal": f"CDC apply ≥ {CDC_GOAL:,} changes/s", "value": f"{cdc:,} changes/s"
                  if cdc else None, "status": ("met" if cdc >= CDC_GOAL else "not met") if cdc else "n/a"})
    for direction in ("cutover", "rollback"):
        freeze = by_id.get(f"{direction}_freeze", {}).get("median_seconds")
        goals.append({"id": f"{direction}_freeze", "goal": f"{direction} write freeze < {FREEZE_GOAL:g} s (demo, under"
                      " load; the last one recorded in the stack)", "value": f"{freeze:.3f} s" if freeze else None,
                      "status": ("met" if freeze < FREEZE_GOAL else "not met") if freeze else "n/a"})
    return {"meta": meta, "rows": rows, "goals": goals, "peak_rss_mb_by_rows": {str(k): v for k, v in by_size.items()}}


def write(doc: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out_dir / "latest.md").write_text(markdown(doc) + "\n")


def _fmt(value, suffix="") -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}{suffix}"
    return f"{value:,}{suffix}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(doc: dict) -> str:
    m = doc["meta"]
    machine = m["machine"]
    # The load *during* the runs is mostly the benchmark's own (two servers, pgcopydb's jobs, parallel
    # workers); only the load before the first run says whether something else shared the machine.
    before = machine.get("load_1m_at_start", machine["load_1m"])
    lines = [
        f"`trades`: {m['rows']:,} rows ({m['source_table_bytes'] / 1e6:,.0f} MB), median of {m['repeat']} "
        f"alternating run(s), {m['finished_at']}, {machine['cpus']} CPUs, PostgreSQL "
        f"{machine['postgresql']}, pgcopydb {machine['pgcopydb']}, load average {before:.1f} before the first run"
        f" (up to {machine.get('load_1m_max', machine['load_1m']):.1f} during the runs, mostly their own).",
    ]
    if before > machine["cpus"] * 0.75:
        lines += ["", f"**The machine was shared** (1-minute load average {before:.1f} on {machine['cpus']} CPUs before"
                      " the first run): every number is slower and noisier than on an idle machine; compare ratios,"
                      " not seconds."]
    lines += [
        "",
        "| run | median s | rows/s | × pgcopydb | × raw limit | × reladiff (stage: × zstd) | peak RSS MB | runs (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in doc["rows"]:
        if e["status"] != "ok":
            note = e.get("note") or ("FAILED: " + " ".join(e.get("errors", ["?"])[-1].split())[:200])
            lines.append(f"| {_cell(e['label'])} | {_cell(note)} | | | | | | |")
            continue
        lines.append("| {label} | {med} | {rps} | {rp} | {rr} | {rd} | {rss} | {runs} |".format(
            label=_cell(e["label"]), med=_fmt(e.get("median_seconds")), rps=_fmt(e.get("rows_per_s")),
            rp=_fmt(e.get("ratio_pgcopydb")), rr=_fmt(e.get("ratio_raw")),
            rd=_fmt(e.get("ratio_reladiff") or e.get("ratio_zstd")), rss=_fmt(e.get("peak_rss_mb")),
            runs=", ".join(f"{s:.2f}" for s in e["runs"])))
    lines += ["", "| goal | value | status |", "|---|---|---|"]
    for g in doc["goals"]:
        note = f" ({g['note']})" if g.get("note") else ""
        lines.append(f"| {g['goal']} | {g['value'] or ''} | {g['status']}{note} |")
    return "\n".join(lines)


def publish_readme(doc: dict, readme: Path) -> None:
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"bench: {readme} has no results markers ({BEGIN} … {END})")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + BEGIN + "\n" + markdown(doc) + "\n" + END + tail)


if __name__ == "__main__":  # re-render latest.md and the README from latest.json: python -m bench.report
    import sys

    results = Path(__file__).resolve().parent / "results"
    document = json.loads((results / "latest.json").read_text())
    write(document, results)
    if "--publish" in sys.argv[1:]:
        publish_readme(document, results.parent.parent / "README.md")
    print(markdown(document))
