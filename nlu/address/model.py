"""The address element parser: a linear-chain CRF (python-crfsuite) over character tokens, mixed with BiLSTM members.

``AddressParser.tag(tokens)`` gives BIO tags in the corpus's label set (lower-cased); ``spans(text)`` tokenises free
text (ASR spaces are dropped first) and returns labelled spans with character offsets in that compact text.
Model files live in ``models/address-crf/`` (``model.crfsuite`` + ``MODEL_CARD.md`` + ``meta.json``, and
``bilstm-<seed>.npz`` members, ``nlu.address.neural``). With members, the tags come from the average of the CRF's
marginals and the members' probabilities, every model counting alike, decoded into the best valid BIO sequence;
without, from the CRF's own Viterbi path.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pycrfsuite

from nlu.address.corpus import spans_of, tokenize
from nlu.address.features import sentence_features
from nlu.address.neural import NEURAL_GLOB, NeuralEnsemble, NeuralTagger, decode, dense_inputs, one_blas_thread

DEFAULT_MODEL_NAME = "address-crf"
MODEL_FILE = "model.crfsuite"
META_FILE = "meta.json"
ENTITIES_FILE = "entities.tsv"


def equal_weight(members: int) -> float:
    """Share of the BiLSTM members' mean in the mixed probabilities when the CRF and every member count alike."""
    return members / (members + 1)

MAX_TOKENS = 512
"""Longer inputs are tagged in windows of this many tokens (CRF cost is linear; this bounds latency per call)."""


@dataclass(frozen=True, slots=True)
class TextSpan:
    label: str
    start: int
    end: int
    text: str


class AddressParser:
    """A loaded CRF address parser."""

    def __init__(self, model_dir: Path, neural: bool = True):
        """``neural=False`` runs the CRF alone even when the folder has BiLSTM members (faster, ~1 point lower)."""
        self.model_dir = Path(model_dir)
        meta_path = self.model_dir / META_FILE
        self.meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        self.use_lexicon = bool(self.meta.get("use_lexicon", True))
        self.entities = load_entities(self.model_dir / ENTITIES_FILE)
        self.groups = frozenset(self.meta.get("feature_groups") or
                                (["repeats"] if self.meta.get("repeat_features", False) else []))
        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(self.model_dir / MODEL_FILE))
        self.labels = list(self.tagger.labels())
        paths = sorted(self.model_dir.glob(NEURAL_GLOB)) if neural else []
        self.neural = NeuralEnsemble([NeuralTagger(path) for path in paths])
        self.neural_weight = float(self.meta.get("neural", {}).get("weight", equal_weight(len(self.neural))))

    def tag(self, tokens: list[str]) -> list[str]:
        """BIO tags for one address (or utterance) already split into tokens."""
        if not tokens:
            return []
        tags: list[str] = []
        for start in range(0, len(tokens), MAX_TOKENS):
            window = tokens[start: start + MAX_TOKENS]
            features = sentence_features(window, self.use_lexicon, self.entities, groups=self.groups)
            tags.extend(self._ensemble(window, features) if self.neural else self.tagger.tag(features))
        return tags

    def proba(self, tokens: list[str]) -> np.ndarray:
        """``len(tokens) × len(self.labels)`` tag probabilities: the CRF's marginals, mixed with the mean of the
        neural members' when the model has them (one window of at most MAX_TOKENS tokens)."""
        features = sentence_features(tokens, self.use_lexicon, self.entities, groups=self.groups)
        return self._mixed_proba(tokens, features)

    def _mixed_proba(self, tokens: list[str], features: list) -> np.ndarray:
        self.tagger.set(features)
        crf = np.array([[self.tagger.marginal(label, t) for label in self.labels] for t in range(len(tokens))])
        if not self.neural:
            return crf
        dense = dense_inputs(tokens, self.entities)
        with one_blas_thread():
            neural = self.neural.proba(tokens, self.labels, dense)
        return (1.0 - self.neural_weight) * crf + self.neural_weight * neural

    def _ensemble(self, tokens: list[str], features: list) -> list[str]:
        return decode(self._mixed_proba(tokens, features), self.labels)

    def spans(self, text: str) -> list[TextSpan]:
        """Labelled spans of free text, offsets in ``text`` (pass compact text: no spaces)."""
        tokens, offsets = tokenize(text)
        tags = self.tag(tokens)
        out = []
        for span in spans_of(tags, tokens):
            start, end = offsets[span.start][0], offsets[span.end - 1][1]
            out.append(TextSpan(span.label, start, end, text[start:end]))
        return out

    def parse(self, text: str) -> dict[str, list[str]]:
        """Elements by label, e.g. ``{"road": ["海五路"], "roadno": ["32号"]}`` (whitespace removed first)."""
        compact = re.sub(r"\s+", "", text or "")
        out: dict[str, list[str]] = {}
        for span in self.spans(compact):
            out.setdefault(span.label, []).append(span.text)
        return out


def update_meta(folder: Path, **fields: object) -> dict:
    """Merge ``fields`` into ``folder/meta.json`` (created when missing) and return the whole meta."""
    path = Path(folder) / META_FILE
    meta = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    meta.update(fields)
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


def load_entities(path: Path) -> dict[str, frozenset[str]] | None:
    """The entity lexicon saved with a model (``string<TAB>label,label``), or None."""
    if not path.exists():
        return None
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, labels = line.partition("\t")
        if text and labels:
            out[text] = frozenset(labels.split(","))
    return out


def model_dir(models_dir: Path, name: str = DEFAULT_MODEL_NAME) -> Path:
    return Path(models_dir) / name


def load_default_parser(models_dir: Path, name: str = DEFAULT_MODEL_NAME, neural: bool = True) -> AddressParser | None:
    """The installed parser, or None when ``models/<name>/model.crfsuite`` is absent."""
    path = model_dir(models_dir, name)
    return AddressParser(path, neural=neural) if (path / MODEL_FILE).exists() else None
