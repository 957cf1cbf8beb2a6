"""The table classifier: corpus -> features -> DictVectorizer -> MaxAbsScaler -> LogisticRegression.

Trained at run time from the committed corpus (well under a second, deterministic) and kept in
memory per corpus hash; nothing binary is ever written to the repository.
A linear model keeps every decision explainable: a feature's pull toward class k rather than the
runner-up j is (coef[k] - coef[j]) * value, and the largest pulls become the reasons.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler

from .features import InstanceContext, describe_table, parse_time, tables_by_word
from .reasons import PHRASES, WORD_FAMILIES, phrase, phrase_words

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
TRAIN_FILE = CORPUS_DIR / "train.jsonl"
HOLDOUT_FILE = CORPUS_DIR / "holdout.jsonl"
CLASSES = ("application", "broker", "unknown")
MAX_REASONS = 4
BLAND_WORDS = frozenset({"id", "at", "on", "is", "by", "of", "to", "no", "in", "the", "date", "public", "num", "type"})


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def corpus_hash(path: Path = TRAIN_FILE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contexts_of_corpus(records: list[dict]) -> dict[str, InstanceContext]:
    """Corpus lines carry their synthetic instance; rebuild each instance's context from its lines."""
    by_instance: dict[str, list[dict]] = {}
    for record in records:
        by_instance.setdefault(record["instance"], []).append(record)
    return {
        instance: InstanceContext(
            instance=instance,
            scanned_at=parse_time(members[0]["scanned_at"]),
            stats_reset=parse_time(members[0].get("stats_reset")),
            tables_by_word=tables_by_word(m["name"] for m in members),
        )
        for instance, members in by_instance.items()
    }


def featurize_corpus(records: list[dict]) -> tuple[list[dict], list[str]]:
    contexts = contexts_of_corpus(records)
    features = [describe_table(r, contexts[r["instance"]])[0] for r in records]
    return features, [r["label"] for r in records]


def build_pipeline() -> Pipeline:
    return Pipeline([
        ("vectorize", DictVectorizer(sparse=True, sort=True)),
        ("scale", MaxAbsScaler()),
        # C < 1: many word features, a few hundred tables -> keep the weights modest and general
        ("classify", LogisticRegression(C=0.5, max_iter=5000, random_state=0)),
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
        features, labels = featurize_corpus(records)
        return cls(build_pipeline().fit(features, labels), corpus_sha256)

    def predict_features(self, features: list[dict]) -> list[str]:
        return list(self.pipeline.predict(features))

    def decide(self, features: dict, facts: dict) -> Decision:
        vector = self.pipeline[:-1].transform([features])
        probabilities = self.pipeline.named_steps["classify"].predict_proba(vector)[0]
        order = np.argsort(-probabilities)
        best, runner_up = int(order[0]), int(order[1])
        label = self._classes[best]
        pull = vector.multiply(self._coef[best] - self._coef[runner_up]).tocsr()
        return Decision(
            label=label,
            confidence=round(float(probabilities[best]), 4),
            probabilities={c: round(float(p), 4) for c, p in zip(self._classes, probabilities)},
            reasons=self._reasons(pull, facts, label),
        )

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


@lru_cache(maxsize=2)
def _trained(sha256: str, path: str) -> TableClassifier:
    return TableClassifier.train(read_jsonl(Path(path)), sha256)


def load_classifier(train_file: Path = TRAIN_FILE) -> TableClassifier:
    """The classifier for the corpus as it is on disk now (retrained when the file changes)."""
    return _trained(corpus_hash(train_file), str(train_file))
