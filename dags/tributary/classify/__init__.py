"""Table classification: application / broker (market, broker, time-series) / unknown (archive).

    classify_inventory(inventory, min_confidence=0.7, overrides={...}) -> [decision per table]
    evaluate() -> leave-one-database-out metrics over the real corpus;  format_report(metrics) -> text

A scikit-learn logistic regression over explainable features (features.py), usage first, trained at run
time from the labelled corpora in corpus/: real public schemas (corpus/real/, with generated workloads,
real_corpus.py) and a synthetic corpus (corpus_builder.py) that is extra training data only. `python -m tributary.classify`
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
    from .evaluation import leave_one_database_out as run

    return run()


def format_report(metrics: dict) -> str:
    from .evaluation import format_report as render

    return render(metrics)


__all__ = ["classify_inventory", "evaluate", "format_report"]
