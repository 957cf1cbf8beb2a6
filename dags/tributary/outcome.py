"""The short outcome table every run ends with (pgcopydb-style): one line per table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

COLUMNS = ("TABLE", "SOURCE", "ROWS", "SOURCE CHECKSUM", "TARGET CHECKSUM", "VERIFIED")


def _short(checksum: Any, width: int = 16) -> str:
    text = "-" if checksum is None else str(checksum)
    return text if len(text) <= width else text[: width - 1] + "…"


def _verified(row: dict[str, Any]) -> str:
    v = row.get("verified")
    return "yes" if v is True else ("no" if v is False else str(v))


def render(rows: Iterable[dict[str, Any]]) -> str:
    lines = [
        (r.get("table", "?"), r.get("source", "?"), str(r.get("rows", "-")), _short(r.get("source_checksum")),
         _short(r.get("target_checksum")), _verified(r))
        for r in rows
    ]
    widths = [max(len(c), *(len(l[i]) for l in lines)) if lines else len(c) for i, c in enumerate(COLUMNS)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [COLUMNS, *lines])


def all_verified(rows: Iterable[dict[str, Any]]) -> bool:
    rows = list(rows)
    return bool(rows) and all(r.get("verified") is True for r in rows)


def write_report(rows: list[dict[str, Any]], path: Path, meta: dict[str, Any]) -> None:
    """JSON report beside the logs (scripts/demo.sh prints it and exits non-zero unless all verified)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**meta, "all_verified": all_verified(rows), "tables": rows}, indent=2, default=str))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """``python -m tributary.outcome REPORT.json``: print the table; exit 1 unless every table verified."""
    import sys

    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m tributary.outcome REPORT.json", file=sys.stderr)
        return 2
    report = json.loads(Path(args[0]).read_text())
    print(render(report["tables"]))
    merge = report.get("merge")
    if merge:  # many-to-one: what `tributary resolve` decided (docs/runbooks/merge-conflicts.md)
        print(merge["line"])
        for t in merge["tables"]:
            offsets = ", ".join(f"{s} +{o}" for s, o in (t.get("offsets") or {}).items())
            print(f"  {t['target_table']}: key {t.get('key_column') or '-'} ({offsets}); {t.get('duplicates', 0)} duplicates "
                  f"{t.get('strategy')}, {t.get('key_map_rows', 0)} key_map rows, {t.get('open', 0)} open")
    for note in report.get("notes") or []:  # phase 5: the follow's start, the freeze, where PgBouncer points
        print(note)
    if not report["tables"] and report.get("notes"):
        return 0  # nothing to verify in this run (e.g. a follow set up earlier, only caught up): the notes say so
    return 0 if all_verified(report["tables"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
