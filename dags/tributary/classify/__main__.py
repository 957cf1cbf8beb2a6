"""python -m tributary.classify [--docs] [--min-confidence 0.7] [--override PATTERN=CLASS ...] [INVENTORY.json ...]"""

from __future__ import annotations

import argparse
import json
import sys

from . import classify_inventory, evaluate, format_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tributary.classify",
                                     description="Classify inventory files; without any, print the "
                                                 "leave-one-database-out report of the table classifier.")
    parser.add_argument("inventories", nargs="*", help="inventory JSON files (docs/inventory-format.md)")
    parser.add_argument("--min-confidence", type=float, default=0.7)
    parser.add_argument("--override", action="append", default=[], metavar="PATTERN=CLASS",
                        help="instance.schema.table glob -> application|broker|unknown (repeatable)")
    parser.add_argument("--json", action="store_true", help="print decisions as JSON lines")
    parser.add_argument("--docs", action="store_true", help="also write the figures into docs/classification.md")
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.override)

    if not args.inventories or args.docs:  # the measure takes seconds: only when asked for, or nothing else is
        metrics = evaluate()
        print(format_report(metrics), file=sys.stderr if args.json else sys.stdout)
    if args.docs:
        from .evaluation import DOCS_FILE, write_docs

        write_docs(metrics)
        print(f"figures written to {DOCS_FILE}", file=sys.stderr)
    for path in args.inventories:
        with open(path, encoding="utf-8") as handle:
            decisions = classify_inventory(json.load(handle), min_confidence=args.min_confidence, overrides=overrides)
        if args.json:
            for decision in decisions:
                print(json.dumps(decision, sort_keys=True))
            continue
        print(f"\n{path}")
        for d in decisions:
            flag = " REVIEW" if d["flagged_for_review"] else ""
            print(f"  {d['schema']}.{d['table']:<32} {d['class']:<12} {d['confidence']:.2f} {d['source']}{flag}")
            for reason in d["reasons"]:
                print(f"      - {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
