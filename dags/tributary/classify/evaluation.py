"""The measure: leave one real database out, train on everything else, classify the one left out.

For each database of corpus/real/ the classifier is trained on the synthetic corpus plus every OTHER real
database (both workloads) and decides every table of the left-out one, under each workload of
real_corpus.py, through the same rules as production (model.settle at the default review threshold).
The synthetic corpus is training data only: it is never scored.

Figures per workload: accuracy of the model's best guess, per class precision/recall and the confusion
matrix (truth x best guess); how many tables were decided without review and how right those were; and
the costly error counted apart: an application table sent to the archive without review.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from . import real_corpus
from .model import (
    CLASSES,
    DEFAULT_MIN_CONFIDENCE,
    TableClassifier,
    corpus_hash,
    describe_corpus,
    settle,
    synthetic_records,
)

GOAL_ACCURACY = 0.95
DOCS_FILE = Path(__file__).resolve().parents[3] / "docs" / "classification.md"
BEGIN, END = "<!-- figures: begin (written by `python -m tributary.classify --docs`) -->", "<!-- figures: end -->"


def leave_one_database_out(min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> dict:
    started = time.perf_counter()
    synthetic = synthetic_records()
    synthetic_features = [f for f, _ in describe_corpus(synthetic)]
    synthetic_labels = [r["label"] for r in synthetic]
    dbs = real_corpus.databases()
    # every database under every workload, described once: (record, features, facts)
    described = {db["instance"]: {w: list(zip(records, *zip(*describe_corpus(records))))
                                  for w in real_corpus.WORKLOADS
                                  for records in [real_corpus.records(db, w)]}
                 for db in dbs}
    rows: dict[str, list[dict]] = {w: [] for w in real_corpus.WORKLOADS}
    for db in dbs:
        others = [item for other, by_workload in described.items() if other != db["instance"]
                  for items in by_workload.values() for item in items]
        classifier = TableClassifier.fit(synthetic_features + [f for _, f, _ in others],
                                         synthetic_labels + [r["label"] for r, _, _ in others])
        for workload, items in described[db["instance"]].items():
            for record, features, facts in items:
                decision = classifier.decide(features, facts)
                final, flagged, _ = settle(decision, min_confidence)
                rows[workload].append({"database": db["instance"], "table": f"{record['schema']}.{record['name']}",
                                       "label": record["label"], "guess": decision.label,
                                       "confidence": decision.confidence, "final": final, "flagged": flagged,
                                       "reasons": decision.reasons})
    return {
        "databases": len(dbs),
        "tables": len(rows[real_corpus.WORKLOADS[0]]),
        "synthetic_tables": len(synthetic),
        "min_confidence": min_confidence,
        "workloads": {w: _figures(r) for w, r in rows.items()},
        "corpus_sha256": corpus_hash(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _figures(rows: list[dict]) -> dict:
    truth = [r["label"] for r in rows]
    guess = [r["guess"] for r in rows]
    report = classification_report(truth, guess, labels=list(CLASSES), output_dict=True, zero_division=0)
    auto = [r for r in rows if not r["flagged"]]
    return {
        "accuracy": accuracy_score(truth, guess),
        "per_class": {c: {k: report[c][k] for k in ("precision", "recall", "f1-score", "support")} for c in CLASSES},
        "confusion": {"labels": list(CLASSES), "matrix": confusion_matrix(truth, guess, labels=list(CLASSES)).tolist()},
        "decided_without_review": len(auto),
        "right_without_review": sum(r["final"] == r["label"] for r in auto),
        "flagged_for_review": len(rows) - len(auto),
        # the costly error: a live application table archived with nobody asked
        "application_archived_without_review": [r for r in auto if r["label"] == "application" and r["final"] == "unknown"],
        "errors": [{k: r[k] for k in ("database", "table", "label", "guess", "confidence", "flagged")}
                   for r in rows if r["guess"] != r["label"]],
    }


def meets_goal(metrics: dict) -> bool:
    """The issue's goal, on the in-service workload: >= 95 % accuracy; and nowhere an application table
    archived without review."""
    service = metrics["workloads"]["in service"]
    return service["accuracy"] >= GOAL_ACCURACY and not any(
        w["application_archived_without_review"] for w in metrics["workloads"].values())


def format_report(metrics: dict) -> str:
    lines = [f"leave-one-database-out over {metrics['databases']} real public databases ({metrics['tables']} tables; "
             f"each fold also trains on {metrics['synthetic_tables']} synthetic tables, never scored); review threshold "
             f"{metrics['min_confidence']:.0%}; corpus {metrics['corpus_sha256'][:12]}; {metrics['seconds']} s"]
    for workload, m in metrics["workloads"].items():
        costly = m["application_archived_without_review"]
        lines += [
            f"workload '{workload}': best-guess accuracy {m['accuracy']:.3f}; decided without review "
            f"{m['decided_without_review']} ({m['right_without_review']} right), flagged for review "
            f"{m['flagged_for_review']}; application tables archived without review: {len(costly)}",
            f"  {'class':<12} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}",
        ]
        for cls, c in m["per_class"].items():
            lines.append(f"  {cls:<12} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1-score']:>6.3f} {int(c['support']):>8}")
        lines.append("  confusion (rows = truth, columns = best guess): " + ", ".join(m["confusion"]["labels"]))
        for cls, row in zip(m["confusion"]["labels"], m["confusion"]["matrix"]):
            lines.append(f"    {cls:<12} {row}")
        for e in m["errors"]:
            lines.append(f"    miss: {e['database']} {e['table']}: {e['label']} -> {e['guess']} "
                         f"({e['confidence']:.2f}{', flagged' if e['flagged'] else ''})")
        for r in costly:
            lines.append(f"    COSTLY: {r['database']} {r['table']} (application) archived without review")
    lines.append(f"goal (in service: accuracy >= {GOAL_ACCURACY:.0%}; no application table archived without review): "
                 + ("met" if meets_goal(metrics) else "NOT met"))
    return "\n".join(lines)


def figures_block(metrics: dict) -> str:
    """The figures as Markdown, between the markers docs/classification.md carries (no timings: stable)."""
    lines = [BEGIN, "",
             f"{metrics['databases']} real databases, {metrics['tables']} tables; each fold also trains on "
             f"{metrics['synthetic_tables']} synthetic tables (never scored); review threshold "
             f"{metrics['min_confidence']:.0%}; corpus `{metrics['corpus_sha256'][:12]}`. "
             f"Goal: **{'met' if meets_goal(metrics) else 'NOT met'}**.", ""]
    for workload, m in metrics["workloads"].items():
        lines += [f"**Workload `{workload}`**: best-guess accuracy **{m['accuracy']:.1%}**; decided without review "
                  f"{m['decided_without_review']} tables ({m['right_without_review']} right), flagged for review "
                  f"{m['flagged_for_review']}; application tables archived without review: "
                  f"**{len(m['application_archived_without_review'])}**.", "",
                  "| class | precision | recall | f1 | support |", "|---|---|---|---|---|"]
        for cls, c in m["per_class"].items():
            lines.append(f"| {cls} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1-score']:.3f} | {int(c['support'])} |")
        labels = m["confusion"]["labels"]
        lines += ["", "| truth \\ best guess | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for cls, row in zip(labels, m["confusion"]["matrix"]):
            lines.append(f"| {cls} | " + " | ".join(str(n) for n in row) + " |")
        lines += ["", "Misses: " + ("; ".join(
            f"{e['database']} `{e['table']}` {e['label']} → {e['guess']} ({e['confidence']:.2f}"
            f"{', flagged' if e['flagged'] else ''})" for e in m["errors"]) or "none") + ".", ""]
    return "\n".join(lines + [END])


def write_docs(metrics: dict, path: Path = DOCS_FILE) -> None:
    """Replace the figures between the markers of ``path`` (the prose around them is written by hand)."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: no figures markers ({BEGIN} ... {END})")
    path.write_text(pattern.sub(lambda _: figures_block(metrics), text), encoding="utf-8")
