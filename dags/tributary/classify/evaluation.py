"""Held-out evaluation: train on corpus/train.jsonl, score corpus/holdout.jsonl (whole databases
from domains, market feeds and name patterns that training never saw)."""

from __future__ import annotations

from pathlib import Path

from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

from .model import CLASSES, HOLDOUT_FILE, TRAIN_FILE, corpus_hash, featurize_corpus, load_classifier, read_jsonl


def evaluate(train_file: Path = TRAIN_FILE, holdout_file: Path = HOLDOUT_FILE) -> dict:
    classifier = load_classifier(train_file)
    holdout = read_jsonl(holdout_file)
    features, truth = featurize_corpus(holdout)
    predicted = classifier.predict_features(features)
    report = classification_report(truth, predicted, labels=list(CLASSES), output_dict=True, zero_division=0)
    return {
        "accuracy": accuracy_score(truth, predicted),
        "train_tables": len(read_jsonl(train_file)),
        "holdout_tables": len(holdout),
        "per_class": {c: {k: report[c][k] for k in ("precision", "recall", "f1-score", "support")} for c in CLASSES},
        "confusion": {"labels": list(CLASSES),
                      "matrix": confusion_matrix(truth, predicted, labels=list(CLASSES)).tolist()},
        "errors": [{"instance": r["instance"], "table": f"{r['schema']}.{r['name']}", "label": t, "predicted": p}
                   for r, t, p in zip(holdout, truth, predicted) if t != p],
        "corpus_sha256": corpus_hash(train_file),
    }


def format_report(metrics: dict) -> str:
    lines = [f"held-out accuracy {metrics['accuracy']:.3f} on {metrics['holdout_tables']} tables "
             f"(trained on {metrics['train_tables']}; corpus {metrics['corpus_sha256'][:12]})",
             f"{'class':<12} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for cls, m in metrics["per_class"].items():
        lines.append(f"{cls:<12} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1-score']:>6.3f} {int(m['support']):>8}")
    lines.append("confusion (rows = truth, columns = predicted): " + ", ".join(metrics["confusion"]["labels"]))
    for cls, row in zip(metrics["confusion"]["labels"], metrics["confusion"]["matrix"]):
        lines.append(f"  {cls:<12} {row}")
    for error in metrics["errors"]:
        lines.append(f"  miss: {error['instance']} {error['table']}: {error['label']} -> {error['predicted']}")
    return "\n".join(lines)
