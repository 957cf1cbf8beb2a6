"""The table classifier: features -> usage-first weights -> DictVectorizer -> LogisticRegression.

Trained at run time (a second or two, deterministic) from every labelled table in the repository: the
synthetic corpus (corpus/*.jsonl, extra training data) and the real public schemas (corpus/real/, under
both generated workloads, see real_corpus.py); kept in memory per corpus hash; nothing binary is written.
A linear model keeps every decision explainable: a feature's pull toward class k rather than the runner-up
j is (coef[k] - coef[j]) * value, and the largest pulls become the reasons.

Usage first: what pg_stat_* says about reads and writes counts more than what names suggest. The model
gets usage signals at USAGE_WEIGHT and name/column/schema words at WORD_WEIGHT; with the same L2 penalty
on every weight, a word must be seen far more consistently than a usage signal to count as much.
Two rules sit on top of the model's probabilities (``settle``), because the corpus cannot teach them:
  * a table neither read nor written since the statistics reset is never `application` with high
    confidence: its confidence is capped at UNUSED_CAP, under the review threshold;
  * a wrong archive is the costly error: a best guess of `unknown` goes to the archive without review only
    when the model gives `application` less than ARCHIVE_RISK.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from . import real_corpus
from .features import InstanceContext, describe_table, parse_time, tables_by_word
from .reasons import PHRASES, WORD_FAMILIES, phrase, phrase_words

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TRAIN_FILE = CORPUS_DIR / "train.jsonl"
HOLDOUT_FILE = CORPUS_DIR / "holdout.jsonl"
CLASSES = ("application", "broker", "unknown")
MAX_REASONS = 4
BLAND_WORDS = frozenset({"id", "at", "on", "is", "by", "of", "to", "no", "in", "the", "date", "public", "num", "type"})
DEFAULT_MIN_CONFIDENCE = 0.7

USAGE_FEATURES = frozenset({
    "unused_since_reset", "read_and_edited", "appended_and_read", "written_more_than_read", "never_scanned", "never_scanned_since_recent_reset",
    "scan_volume", "no_writes", "insert_only", "has_updates", "has_deletes", "no_statements", "statement_volume",
    "never_maintained", "maintained_long_ago",
})
USAGE_WEIGHT = 5.0
WORD_WEIGHT = 0.3
UNUSED_CAP = 0.5
# A wrong archive is weighted about 6.7 times a person's review: ask whenever P(application) >= 1 / 6.7.
ARCHIVE_RISK = 0.15


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def synthetic_records() -> list[dict]:
    """The synthetic corpus, both files: extra training data, never the measure."""
    return read_jsonl(TRAIN_FILE) + read_jsonl(HOLDOUT_FILE)


def real_records(leave_out: str | None = None) -> list[dict]:
    """Every real database but ``leave_out``, under every generated workload."""
    return [r for db in real_corpus.databases() if db["instance"] != leave_out
            for workload in real_corpus.WORKLOADS for r in real_corpus.records(db, workload)]


def training_records() -> list[dict]:
    return synthetic_records() + real_records()


def corpus_hash() -> str:
    """One hash over every file the classifier is trained from (it is retrained when one changes)."""
    digest = hashlib.sha256()
    for path in [TRAIN_FILE, HOLDOUT_FILE, *sorted(real_corpus.REAL_DIR.glob("*.json"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _scan_of(record: dict) -> tuple:
    return record["instance"], record["scanned_at"], record.get("stats_reset")


def contexts_of_corpus(records: list[dict]) -> dict[tuple, InstanceContext]:
    """Corpus lines carry their instance and its scan times; rebuild each scan's context from its lines."""
    by_scan: dict[tuple, list[dict]] = {}
    for record in records:
        by_scan.setdefault(_scan_of(record), []).append(record)
    return {
        (instance, scanned_at, stats_reset): InstanceContext(
            instance=instance,
            scanned_at=parse_time(scanned_at),
            stats_reset=parse_time(stats_reset),
            tables_by_word=tables_by_word(m["name"] for m in members),
        )
        for (instance, scanned_at, stats_reset), members in by_scan.items()
    }


def describe_corpus(records: list[dict]) -> list[tuple[dict, dict]]:
    """(features, facts) per corpus line."""
    contexts = contexts_of_corpus(records)
    return [describe_table(r, contexts[_scan_of(r)]) for r in records]


def featurize_corpus(records: list[dict]) -> tuple[list[dict], list[str]]:
    return [features for features, _ in describe_corpus(records)], [r["label"] for r in records]


def weigh(features: dict) -> dict:
    """Usage first: scale each feature by its family's weight (every feature is in [0, 1] before this)."""
    out = {}
    for name, value in features.items():
        if name in USAGE_FEATURES:
            value *= USAGE_WEIGHT
        elif "=" in name:
            value *= WORD_WEIGHT
        out[name] = value
    return out


def build_pipeline() -> Pipeline:
    return Pipeline([
        ("vectorize", DictVectorizer(sparse=True, sort=True)),
        # C < 1: many word features, a few hundred tables -> keep the weights modest and general
        ("classify", LogisticRegression(C=0.5, solver="newton-cg", max_iter=1000)),
    ])


@dataclass(frozen=True)
class Decision:
    label: str
    confidence: float
    probabilities: dict[str, float]
    reasons: list[str]


class TableClassifier:
    def __init__(self, pipeline: Pipeline, corpus_sha256: str):
        self.pipeline = pipeline
        self.corpus_sha256 = corpus_sha256
        self._names = pipeline.named_steps["vectorize"].get_feature_names_out()
        self._coef = pipeline.named_steps["classify"].coef_
        self._classes = list(pipeline.named_steps["classify"].classes_)

    @classmethod
    def train(cls, records: list[dict], corpus_sha256: str = "") -> "TableClassifier":
        return cls.fit(*featurize_corpus(records), corpus_sha256=corpus_sha256)

    @classmethod
    def fit(cls, features: list[dict], labels: list[str], corpus_sha256: str = "") -> "TableClassifier":
        return cls(build_pipeline().fit([weigh(f) for f in features], labels), corpus_sha256)

    def predict_features(self, features: list[dict]) -> list[str]:
        return list(self.pipeline.predict([weigh(f) for f in features]))

    def decide(self, features: dict, facts: dict) -> Decision:
        vector = self.pipeline.named_steps["vectorize"].transform([weigh(features)])
        probabilities = self.pipeline.named_steps["classify"].predict_proba(vector)[0]
        order = np.argsort(-probabilities)
        best, runner_up = int(order[0]), int(order[1])
        label = self._classes[best]
        pull = vector.multiply(self._coef[best] - self._coef[runner_up]).tocsr()
        decision = Decision(
            label=label,
            confidence=round(float(probabilities[best]), 4),
            probabilities={c: round(float(p), 4) for c, p in zip(self._classes, probabilities)},
            reasons=self._reasons(pull, facts, label),
        )
        if label == "application" and facts.get("used") is not True and decision.confidence > UNUSED_CAP:
            what = ("the statistics know nothing about it" if facts.get("used") is None
                    else "nothing has read or written it since the statistics were reset (a dump's full scan aside)")
            decision = replace(decision, confidence=UNUSED_CAP, reasons=[
                f"confidence capped at {UNUSED_CAP:.0%}: the model says application at {decision.confidence:.0%}, "
                f"but {what}; a live application table would be"] + decision.reasons)
        return decision

    def _reasons(self, pull, facts: dict, label: str) -> list[str]:
        """Largest positive pulls -> sentences; word features of one family share a sentence."""
        scored: dict[str, float] = {}
        words: dict[str, list[tuple[float, str]]] = {}
        for index, value in zip(pull.indices, pull.data):
            if value <= 0:
                continue
            name = self._names[index]
            family, _, word = name.partition("=")
            if word and family in WORD_FAMILIES:
                if word in BLAND_WORDS:  # it still counts in the model, but is no reason a person can use
                    continue
                words.setdefault(family, []).append((value, word))
                scored[family] = scored.get(family, 0.0) + value
            elif name in PHRASES:
                scored[name] = value
        if "span_very_old" in scored:  # says everything span_old would, and more
            scored.pop("span_old", None)
        sentences = []
        for key, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_REASONS]:
            if key in WORD_FAMILIES:
                ranked = [w for _, w in sorted(words[key], key=lambda vw: (-vw[0], vw[1]))]
                sentences.append(phrase_words(key, ranked, facts, label))
            else:
                sentences.append(phrase(key, facts))
        return sentences


def settle(decision: Decision, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> tuple[str, bool, str | None]:
    """(class, flagged_for_review, the reason to show first) for a model decision: the review rules.

    An unsure call must not move data anywhere irreversible: it is parked as unknown for a person. And since
    archiving a live application table is the costly error, a best guess of unknown is only taken as it stands
    when the model leaves application less than ARCHIVE_RISK."""
    if decision.confidence < min_confidence:
        return "unknown", True, (f"confidence {decision.confidence:.0%} is below the review threshold "
                                 f"{min_confidence:.0%}; the model's best guess is {decision.label}")
    risk = decision.probabilities.get("application", 0.0)
    if decision.label == "unknown" and risk >= ARCHIVE_RISK:
        return "unknown", True, (f"best guess unknown, but {risk:.0%} that it is an application table: "
                                 f"archiving a live table is the costly error, so a person decides")
    return decision.label, False, None


@lru_cache(maxsize=2)
def _trained(sha256: str) -> TableClassifier:
    return TableClassifier.train(training_records(), sha256)


def load_classifier() -> TableClassifier:
    """The classifier for the corpus as it is on disk now (retrained when a corpus file changes)."""
    return _trained(corpus_hash())
