"""The default trained backend: character n-gram TF-IDF + logistic regression over the 15 domains, with the leaf
chosen inside the predicted domain by cue words (the domain's catch-all leaf when no cue matches).

Why this shape: real citizen messages with labels exist only at the domain level (weakly labelled), and the leaf
inventory (部件/事件/service leaves) is best served by explicit cue words an agent can read. The reported confidence is
the model's probability of the domain (measured calibration in docs/classification.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from hotline.case import CategoryGuess
from hotline.registry import category_backends
from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.guess import guess_from_leaf
from nlu.taxonomy import Taxonomy

MODEL_FILE = "model.joblib"
_SEP = "\x1f"  # never in cleaned text (control characters are removed)
META_FILE = "meta.json"


@dataclass
class LinearModel:
    """The fitted parts: a vectorizer and a classifier whose classes are domain names."""

    vectorizer: Any
    classifier: Any

    @property
    def domains(self) -> list[str]:
        return [str(c) for c in self.classifier.classes_]

    def proba(self, texts: list[str]) -> np.ndarray:
        return self.classifier.predict_proba(self.vectorizer.transform(texts))

    def save(self, folder: Path, meta: dict[str, Any]) -> None:
        """The vocabulary is stored as one joined string (unpickling a 100k-entry dict costs about a second)."""
        folder.mkdir(parents=True, exist_ok=True)
        vocabulary = self.vectorizer.vocabulary_
        terms = [""] * len(vocabulary)
        for term, index in vocabulary.items():
            terms[index] = term
        del self.vectorizer.vocabulary_
        try:
            parts = {"vectorizer": self.vectorizer, "classifier": self.classifier, "terms": _SEP.join(terms)}
            joblib.dump(parts, folder / MODEL_FILE, compress=3)
        finally:
            self.vectorizer.vocabulary_ = vocabulary
        (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LinearModel:
        parts = joblib.load(folder / MODEL_FILE)
        vectorizer = parts["vectorizer"]
        vectorizer.vocabulary_ = {term: i for i, term in enumerate(parts["terms"].split(_SEP))}
        return cls(vectorizer, parts["classifier"])


class LinearClassifier:
    """Domain by the linear model, leaf by cue words within that domain."""

    name = "linear"

    def __init__(self, taxonomy: Taxonomy, model: LinearModel):
        self.taxonomy = taxonomy
        self.model = model
        self.keyword = KeywordClassifier(taxonomy)
        self._feature_names: np.ndarray | None = None

    @property
    def _features(self) -> np.ndarray:
        """Feature names, built on first use (only needed to explain a guess without cue words)."""
        if self._feature_names is None:
            self._feature_names = np.asarray(self.model.vectorizer.get_feature_names_out())
        return self._feature_names

    def _reasons(self, row: Any, class_index: int, cue_words: list[str]) -> list[str]:
        if cue_words:
            return cue_words[:5]
        weights = self.model.classifier.coef_[class_index] if self.model.classifier.coef_.shape[0] > 1 else None
        if weights is None or row.nnz == 0:
            return []
        contrib = row.data * weights[row.indices]
        top = row.indices[np.argsort(-contrib)[:3]]
        return [str(self._features[i]) for i in top if len(str(self._features[i]).strip()) > 1][:3]

    def predict(self, text: str, top_k: int = 3) -> list[CategoryGuess]:
        if not text.strip():
            return []
        row = self.model.vectorizer.transform([text])
        proba = self.model.classifier.predict_proba(row)[0]
        scores, cue_reasons = self.keyword.scores(text)
        guesses = []
        for index in np.argsort(-proba)[:top_k]:
            domain = self.model.domains[index]
            in_domain = [(s, c) for c, s in scores.items() if self.taxonomy[c].domain == domain]
            leaf = self.taxonomy[max(in_domain)[1]] if in_domain else self.taxonomy.default_leaf(domain)
            reasons = self._reasons(row, int(index), cue_reasons.get(leaf.code, []))
            guesses.append(guess_from_leaf(leaf, float(proba[index]), reasons))
        return guesses


@category_backends.register("linear")
def make_linear(taxonomy: Taxonomy, model_dir: Path | str, **_: object) -> LinearClassifier:
    """Load the model folder (``model.joblib`` + ``meta.json``)."""
    return LinearClassifier(taxonomy, LinearModel.load(Path(model_dir)))
