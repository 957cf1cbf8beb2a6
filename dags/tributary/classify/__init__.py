"""Table classification: application / broker (market, broker, time-series) / unknown (archive).

    classify_inventory(inventory, min_confidence=0.7, overrides={...}) -> [decision per table]
    evaluate() -> held-out metrics;  format_report(metrics) -> text

A scikit-learn logistic regression over explainable features (features.py), trained at run time
from the labelled corpus in corpus/ (written by corpus_builder.py). `python -m tributary.classify`
prints the held-out report, or classifies the inventory files given as arguments.
The functions below import scikit-learn only when called, so DAG files can import this package
at parse time for free.
"""

from __future__ import annotations


def classify_inventory(inventory: dict, *, min_confidence: float = 0.7,
                       overrides: dict[str, str] | None = None) -> list[dict]:
    from .inventory import classify_inventory as classify

    return classify(inventory, min_confidence=min_confidence, overrides=overrides)


def evaluate() -> dict:
    from .evaluation import evaluate as run

    return run()


def format_report(metrics: dict) -> str:
    from .evaluation import format_report as render

    return render(metrics)


__all__ = ["classify_inventory", "evaluate", "format_report"]
