"""The default trained backend: TF-IDF blocks (character n-grams, title, jieba words; ``nlu.category.features``) +
a linear domain head over the 15 domains (a linear SVM by
default, logistic regression as the alternative; ``TrainConfig.learner``), fused with domain cue-word votes, then the leaf chosen inside the predicted domain by the taxonomy's cue words (the
domain's catch-all leaf when no cue matches).

Inference is numpy only (no scikit-learn, no scipy: a cold process loads in well under a second). Training uses
scikit-learn (``nlu.category.training.train``) and exports the fitted parts with ``LinearModel.from_sklearn``; a test
checks that both give the same probabilities.

Scores: ``p_model = softmax(coef · x + intercept)`` (for the SVM a softmax over its margins, which the temperature
below calibrates); ``s = log p_model(domain) + fusion_weight × domain_cue_votes(domain) + cue_weight × leaf_cue_score(domain)``
(``leaf_cue_score``: the best taxonomy cue-word score of a leaf in that domain); confidence =
``softmax(s / temperature)``. Both weights and the temperature are fitted on cross-validated hand-labelled messages
at training time (see ``meta.json``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hotline.case import CategoryGuess
from hotline.registry import category_backends
from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.domain_cues import DomainCues, cached_domain_cues
from nlu.category.features import LEGACY_BLOCKS, FeatureBlock, blocks_from_meta, view
from nlu.category.guess import cue_city_code, guess_from_leaf, leaf_in_domain
from nlu.category.mix import adjust
from nlu.taxonomy import Leaf, Taxonomy

MODEL_FILE = "model.npz"
META_FILE = "meta.json"
CUES_FILE = "domain_cues.yaml"
NOT_CITY = "NONE"
"""The city head's class for a message that is not a 部件/事件 case."""
CITY_PREFIX = "city"
"""Prefix of the city head's arrays in ``model.npz``."""


@dataclass
class LinearModel:
    """Everything inference needs, as plain arrays.

    The features are ``blocks`` laid end to end: block ``b`` owns the next ``sizes[b]`` features. ``terms[i]``
    is the term (n-gram or word) of feature ``i``, ``idf[i]`` its inverse document frequency; ``coef`` is
    (domains × features), ``intercept`` (domains,). Each block is computed exactly as scikit-learn's
    ``TfidfVectorizer(analyzer=<the block's view>, sublinear_tf=True, norm="l2")`` and scaled by its weight, as
    ``FeatureUnion(transformer_weights=…)`` does in training.
    """

    terms: np.ndarray
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    domains: list[str]
    blocks: tuple[FeatureBlock, ...] = LEGACY_BLOCKS
    sizes: tuple[int, ...] = ()
    """Features per block (empty: one block holding every term)."""
    fusion_weight: float = 0.0
    cue_weight: float = 0.0
    temperature: float = 1.0
    leaf_head: LeafHead | None = None
    city_head: LeafHead | None = None
    """Over the 部件/事件 codes + ``NOT_CITY``: does the message report a city-management case, and which."""
    city_threshold: float = 0.5
    """Least city-head probability of a 部件/事件 code for it to replace the service leaf."""
    city_veto: float = 1.0
    """City-head probability of ``NOT_CITY`` from which a 部件/事件 code named by cue words is not used."""
    domain_prior: np.ndarray | None = None
    """Class mix of the messages the temperature was fitted on (``scores`` are probabilities under this mix);
    ``nlu.category.mix`` re-weights them to a batch's own mix. None: the model cannot adapt."""
    _index: list[dict[str, int]] = field(default_factory=list, repr=False)
    """Per block: term → feature index (global, offset included)."""
    _views: list[Any] = field(default_factory=list, init=False, repr=False, compare=False)
    _last: tuple[str, tuple[np.ndarray, np.ndarray]] | None = field(default=None, repr=False, compare=False)
    """The last text's features: one prediction reads them for the domain, leaf and city heads."""

    def __post_init__(self) -> None:
        if not self.sizes:
            self.sizes = (len(self.terms),)
        if len(self.sizes) != len(self.blocks) or sum(self.sizes) != len(self.terms):
            raise ValueError(f"blocks {self.blocks} with sizes {self.sizes} do not cover {len(self.terms)} terms")
        self._views = [view(block.view) for block in self.blocks]
        if not self._index:
            terms, start = self.terms.tolist(), 0
            for size in self.sizes:
                self._index.append({term: start + i for i, term in enumerate(terms[start : start + size])})
                start += size

    # --- features -------------------------------------------------------------------------------------------
    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse TF-IDF row for ``text``: (feature indices, L2-normalised values)."""
        last = self._last  # one read: another thread may replace it meanwhile
        if last is not None and last[0] == text:
            return last[1]
        row = self._features(text)
        self._last = (text, row)
        return row

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        all_indices, all_values = [], []
        for block, analyze, index in zip(self.blocks, self._views, self._index):
            counts = Counter(i for i in map(index.get, analyze(text)) if i is not None)
            if not counts:
                continue
            indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values = (1.0 + np.log(tf)) * self.idf[indices]
            values *= block.weight / np.sqrt(np.dot(values, values))
            all_indices.append(indices)
            all_values.append(values)
        if not all_indices:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        return np.concatenate(all_indices), np.concatenate(all_values)

    def model_proba(self, text: str) -> np.ndarray:
        """Softmax of the domain head's margins, before fusion and temperature (for logistic regression exactly
        scikit-learn's ``predict_proba``)."""
        indices, values = self.features(text)
        logits = self.coef[:, indices] @ values + self.intercept
        return _softmax(logits)

    def scores(self, text: str, votes: dict[str, float] | None = None,
               cue_scores: dict[str, float] | None = None) -> np.ndarray:
        """Fused, temperature-scaled domain probabilities (``votes``: domain cue votes; ``cue_scores``: best
        taxonomy cue-word score per domain)."""
        log_p = np.log(self.model_proba(text) + 1e-12)
        if votes and self.fusion_weight:
            log_p = log_p + self.fusion_weight * np.array([votes.get(d, 0.0) for d in self.domains])
        if cue_scores and self.cue_weight:
            log_p = log_p + self.cue_weight * np.array([cue_scores.get(d, 0.0) for d in self.domains])
        return _softmax(log_p / self.temperature)

    def leaf_scores(self, text: str) -> dict[str, float]:
        """Leaf-head logits per service-leaf code (empty without a leaf head)."""
        if self.leaf_head is None:
            return {}
        return self.leaf_head.scores(*self.features(text))

    def city_proba(self, text: str) -> dict[str, float]:
        """City-head probabilities per 部件/事件 code and ``NOT_CITY`` (empty without a city head)."""
        if self.city_head is None:
            return {}
        logits = self.city_head.scores(*self.features(text))
        return dict(zip(logits, _softmax(np.array(list(logits.values()))).tolist()))

    def contributions(self, text: str, class_index: int, top: int = 3) -> list[str]:
        """The terms that pushed ``text`` most towards ``class_index`` (a reason when no cue word matched)."""
        indices, values = self.features(text)
        if not len(indices):
            return []
        contrib = values * self.coef[class_index, indices]
        terms = [str(self.terms[i]).strip() for i in indices[np.argsort(-contrib)]]
        return list(dict.fromkeys(t for t in terms if len(t) > 1))[:top]  # a term may sit in several blocks

    # --- persistence ----------------------------------------------------------------------------------------
    def save(self, folder: Path, meta: dict[str, Any], cues_path: Path | None = None) -> None:
        """``model.npz`` (arrays) + ``meta.json`` (+ a copy of the domain cue file the fusion used)."""
        folder.mkdir(parents=True, exist_ok=True)
        leaf_arrays = self.leaf_head.arrays() if self.leaf_head is not None else {}
        if self.city_head is not None:
            leaf_arrays.update(self.city_head.arrays(CITY_PREFIX))
        np.savez_compressed(
            folder / MODEL_FILE,
            terms=self.terms,
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            **leaf_arrays,
        )
        meta = {
            **meta,
            "domains": self.domains,
            "blocks": [{**block.as_dict(), "size": size} for block, size in zip(self.blocks, self.sizes)],
            "fusion_weight": self.fusion_weight,
            "cue_weight": self.cue_weight,
            "temperature": self.temperature,
            "city_threshold": self.city_threshold,
            "city_veto": self.city_veto,
            "domain_prior": (None if self.domain_prior is None
                             else {d: round(float(p), 6) for d, p in zip(self.domains, self.domain_prior)}),
        }
        (folder / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        if cues_path is not None:
            (folder / CUES_FILE).write_text(cues_path.read_text(encoding="utf-8"), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LinearModel:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if meta.get("blocks") is None and tuple(meta.get("ngram_range", (1, 3))) != (1, 3):
            raise ValueError(f"{folder}: character n-grams {meta['ngram_range']} are not supported; retrain")
        with np.load(folder / MODEL_FILE) as arrays:
            return cls(
                terms=arrays["terms"],
                idf=arrays["idf"].astype(np.float64),
                coef=arrays["coef"],
                intercept=arrays["intercept"],
                domains=list(meta["domains"]),
                blocks=blocks_from_meta(meta.get("blocks")),
                sizes=tuple(int(row["size"]) for row in meta.get("blocks") or ()),
                fusion_weight=float(meta.get("fusion_weight", 0.0)),
                cue_weight=float(meta.get("cue_weight", 0.0)),
                temperature=float(meta.get("temperature", 1.0)),
                leaf_head=LeafHead.from_arrays(arrays) if "leaf_codes" in arrays else None,
                city_head=LeafHead.from_arrays(arrays, CITY_PREFIX) if f"{CITY_PREFIX}_codes" in arrays else None,
                city_threshold=float(meta.get("city_threshold", 0.5)),
                city_veto=float(meta.get("city_veto", 1.0)),
                domain_prior=_prior(meta),
            )

    @classmethod
    def from_sklearn(cls, vectorizer: Any, classifier: Any, **settings: Any) -> LinearModel:
        """Export fitted features + a multi-class linear classifier with ``coef_`` and ``intercept_`` of shape
        (classes × features) and (classes,): ``LinearSVC`` or multinomial ``LogisticRegression``.

        ``vectorizer``: the ``FeatureUnion`` of ``training.train.make_vectorizer`` (one ``TfidfVectorizer`` per
        block, named by its view), or one ``TfidfVectorizer(analyzer="char", ngram_range=(1, 3))``."""
        if hasattr(vectorizer, "transformer_list"):
            weights = vectorizer.transformer_weights or {}
            parts = [(FeatureBlock(name, tfidf.max_features, float(weights.get(name, 1.0))), tfidf)
                     for name, tfidf in vectorizer.transformer_list]
        elif vectorizer.analyzer == "char" and tuple(vectorizer.ngram_range) == (1, 3):
            parts = [(FeatureBlock("chars", vectorizer.max_features or 0), vectorizer)]
        else:
            raise ValueError("export needs character 1–3-grams or a FeatureUnion of registered views")
        terms: list[str] = []
        for _, tfidf in parts:
            block_terms = [""] * len(tfidf.vocabulary_)
            for term, i in tfidf.vocabulary_.items():
                block_terms[i] = term
            terms += block_terms
        return cls(
            terms=np.asarray(terms),
            idf=np.concatenate([np.asarray(tfidf.idf_, dtype=np.float64) for _, tfidf in parts]),
            coef=np.asarray(classifier.coef_, dtype=np.float32),
            intercept=np.asarray(classifier.intercept_, dtype=np.float32),
            domains=[str(c) for c in classifier.classes_],
            blocks=tuple(block for block, _ in parts),
            sizes=tuple(len(tfidf.vocabulary_) for _, tfidf in parts),
            **settings,
        )


@dataclass
class LeafHead:
    """A further linear classifier on the same TF-IDF features, kept sparse: the leaf head over the service (``FW``)
    leaves, or the city head over the 部件/事件 codes and ``NOT_CITY``.

    Trained on the leaf-labelled messages this project wrote (``data/authored``) and the synthetic sentences; only
    the ``keep`` largest weights per leaf are stored (a dense leaves × features matrix would be ~120 MB). Stored
    column-wise: the weights of feature ``j`` are ``values[indptr[j]:indptr[j+1]]`` for leaves ``rows[…]``.
    """

    codes: list[str]
    indptr: np.ndarray
    rows: np.ndarray
    values: np.ndarray
    intercept: np.ndarray

    def scores(self, indices: np.ndarray, values: np.ndarray) -> dict[str, float]:
        """Logits per code for one feature row; a head trained on the leading blocks only skips the other
        features."""
        logits = self.intercept.astype(np.float64).copy()
        if len(indices) and indices.max() >= len(self.indptr) - 1:
            inside = indices < len(self.indptr) - 1
            indices, values = indices[inside], values[inside]
        if len(indices):
            starts, ends = self.indptr[indices], self.indptr[indices + 1]
            lengths = ends - starts
            total = int(lengths.sum())
            if total:
                # every stored position of every feature in the row: starts[k] … ends[k] − 1, laid end to end
                positions = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
                np.add.at(logits, self.rows[positions], self.values[positions] * np.repeat(values, lengths))
        return dict(zip(self.codes, logits.tolist()))

    def arrays(self, prefix: str = "leaf") -> dict[str, np.ndarray]:
        return {f"{prefix}_codes": np.asarray(self.codes), f"{prefix}_indptr": self.indptr,
                f"{prefix}_rows": self.rows, f"{prefix}_values": self.values, f"{prefix}_intercept": self.intercept}

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str = "leaf") -> LeafHead:
        return cls([str(c) for c in arrays[f"{prefix}_codes"]], arrays[f"{prefix}_indptr"], arrays[f"{prefix}_rows"],
                   arrays[f"{prefix}_values"], arrays[f"{prefix}_intercept"])

    @classmethod
    def from_dense(cls, codes: list[str], coef: np.ndarray, intercept: np.ndarray, keep: int) -> LeafHead:
        """Keep the ``keep`` largest-magnitude weights of each leaf (row of ``coef``: leaves × features)."""
        coef = np.asarray(coef, dtype=np.float32)
        keep = min(keep, coef.shape[1])
        cols = np.argpartition(-np.abs(coef), keep - 1, axis=1)[:, :keep]
        rows = np.repeat(np.arange(coef.shape[0]), keep)
        cols = cols.ravel()
        order = np.lexsort((rows, cols))
        rows, cols = rows[order], cols[order]
        indptr = np.zeros(coef.shape[1] + 1, dtype=np.int32)
        np.add.at(indptr, cols + 1, 1)
        return cls(list(codes), np.cumsum(indptr).astype(np.int32), rows.astype(np.int16),
                   coef[rows, cols].astype(np.float32), np.asarray(intercept, dtype=np.float32))


def city_code(taxonomy: Taxonomy, city: dict[str, float], domain: str, threshold: float, veto: float = 1.0,
              cue_code: str | None = None) -> str | None:
    """The 部件/事件 code of a message, or None (not a city case). ``city``: ``LinearModel.city_proba``.

    The city head's most probable code inside ``domain`` when that probability reaches ``threshold``; else the
    code its cue words name (``cue_code``) unless the head gives ``NOT_CITY`` at least ``veto``. Both matter: on
    long written messages the head is the better judge, on short spoken ones its probabilities spread thin over 114
    classes while the cue words are exact."""
    ranked = [(p, code) for code, p in city.items() if code in taxonomy and taxonomy[code].domain == domain]
    best_p, best = max(ranked) if ranked else (0.0, None)
    if best is not None and best_p >= threshold:
        return best
    if cue_code is not None and city.get(NOT_CITY, 0.0) < veto:
        return cue_code
    return None


def _prior(meta: dict[str, Any]) -> np.ndarray | None:
    """``domain_prior`` from meta.json, in the order of ``domains`` (renormalised: it is stored rounded)."""
    stored = meta.get("domain_prior")
    if not stored:
        return None
    values = np.array([float(stored[d]) for d in meta["domains"]])
    return values / values.sum()


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


class LinearClassifier:
    """Domain by the fused linear model, leaf by cue words within that domain."""

    name = "linear"

    def __init__(self, taxonomy: Taxonomy, model: LinearModel, cues: DomainCues | None = None):
        self.taxonomy = taxonomy
        self.model = model
        self.cues = cues or cached_domain_cues()
        self.keyword = KeywordClassifier(taxonomy)
        self._domain_of = {leaf.code: leaf.domain for leaf in taxonomy}

    def domain_proba(self, text: str, leaf_scores: dict[str, float] | None = None) -> np.ndarray:
        """Calibrated probabilities over ``self.model.domains`` (``leaf_scores``: ``keyword.scores(text)[0]``,
        computed here when not given)."""
        votes = self.cues.votes(text) if self.model.fusion_weight else None
        cue_scores = None
        if self.model.cue_weight:
            if leaf_scores is None:
                leaf_scores, _ = self.keyword.scores(text)
            cue_scores = self.keyword.domain_scores(leaf_scores)
        return self.model.scores(text, votes, cue_scores)

    def leaf(self, cue_scores: dict[str, float], domain: str, head: dict[str, float],
             city: dict[str, float] | None = None) -> Leaf:
        """The leaf inside ``domain``. A city-management case routes by the standard's 部件/事件 code: decided by
        ``city_code`` (the city head, and the 部件/事件 leaf the cue words name); without a city head, that cue-word
        leaf. Otherwise the leaf head's best service leaf; without a head, cue words."""
        cue_leaf = leaf_in_domain(self.taxonomy, cue_scores, domain)
        cue_code = cue_city_code(self.taxonomy, cue_scores, domain)
        if city:
            code = city_code(self.taxonomy, city, domain, self.model.city_threshold, self.model.city_veto, cue_code)
            if code is not None:
                return self.taxonomy[code]
            # not a city case: the cue words may only name a service leaf
            cue_leaf = leaf_in_domain(self.taxonomy, {c: s for c, s in cue_scores.items()
                                                      if self.taxonomy[c].kind == "服务"}, domain)
        elif cue_code is not None:
            return cue_leaf
        in_domain = [(score, code) for code, score in head.items() if self._domain_of.get(code) == domain]
        return self.taxonomy[max(in_domain)[1]] if in_domain else cue_leaf

    @property
    def domains(self) -> list[str]:
        return self.model.domains

    @property
    def domain_prior(self) -> np.ndarray | None:
        return self.model.domain_prior

    def predict(self, text: str, top_k: int = 3,
                mix: np.ndarray | Callable[[np.ndarray], np.ndarray | None] | None = None) -> list[CategoryGuess]:
        """Top-k guesses; with ``mix`` (a batch's class mix over ``domains``, ``nlu.category.mix``) the domain
        probabilities are re-weighted from the calibration mix to it. ``mix`` may also be a function that takes
        this message's probabilities and returns the mix to use, or None (``RollingMix.observe``, live intake)."""
        if not text.strip():
            return []
        scores, cue_reasons = self.keyword.scores(text)
        proba = self.domain_proba(text, scores)
        if callable(mix):
            mix = mix(proba)
        if mix is not None:
            if self.model.domain_prior is None:
                raise ValueError("this model has no domain_prior (retrain it) and cannot adapt to a batch mix")
            proba = adjust(proba, self.model.domain_prior, mix)
        head = self.model.leaf_scores(text)
        city = self.model.city_proba(text)
        guesses = []
        for index in np.argsort(-proba)[:top_k]:
            domain = self.model.domains[index]
            leaf = self.leaf(scores, domain, head, city)
            reasons = cue_reasons.get(leaf.code, [])[:5] or self.cues.matched(text, domain)
            reasons = reasons or self.model.contributions(text, int(index))
            guesses.append(guess_from_leaf(leaf, float(proba[index]), reasons))
        return guesses


@category_backends.register("linear")
def make_linear(taxonomy: Taxonomy, model_dir: Path | str, **_: object) -> LinearClassifier:
    """Load the model folder (``model.npz`` + ``meta.json`` [+ ``domain_cues.yaml``])."""
    folder = Path(model_dir)
    cues_file = folder / CUES_FILE
    cues = DomainCues.load(cues_file) if cues_file.exists() else None
    return LinearClassifier(taxonomy, LinearModel.load(folder), cues)
