"""The neural member of the address parser: a character BiLSTM tagger, run with numpy.

It sees what the CRF sees in a different way (learned character and bigram embeddings read by a bidirectional
LSTM, plus the CRF's dictionary marks as dense inputs), so its mistakes differ; the parser averages its tag
probabilities with the CRF's marginals and decodes the best valid BIO sequence (``decode``).

Training needs torch (``nlu.address.train_neural``); inference here needs only numpy, so the base install (no torch)
runs the shipped model. The weights live in ``bilstm-<seed>.npz`` next to the CRF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from nlu.address.features import (
    ENTITY_LABELS,
    division_lexicon,
    forward_repeat_marks,
    lexicon_tags,
    normalised_token,
    repeat_marks,
    segment_features,
    shape,
)

NEURAL_GLOB = "bilstm-*.npz"
"""A model folder may hold several members (``bilstm-<seed>.npz``, one per training seed); the parser averages them."""


def neural_file(seed: int) -> str:
    return f"bilstm-{seed}.npz"
PAD, UNK = 0, 1
_LEVELS = ("prov", "city", "district", "town")
DENSE_NAMES: tuple[str, ...] = (
    *(f"{p}-{lv}" for lv in _LEVELS for p in "BIE"),
    *(f"ent{p}-{lb}" for lb in sorted(ENTITY_LABELS) for p in "BIE"),
    "seg:B", "seg:M", "seg:E", "seg:S",
    "rep:B", "rep:I", "frep:B", "frep:I",
    "shape:D", "shape:A", "shape:C", "shape:P",
)
"""Binary inputs per token: dictionary marks (national divisions, the training-entity lexicon), jieba word position,
repeats, token shape."""
_DENSE_INDEX = {name: i for i, name in enumerate(DENSE_NAMES)}


def bigrams(norm: list[str]) -> tuple[list[str], list[str]]:
    """(left bigram, right bigram) of every token."""
    padded = ["<s>", *norm, "</s>"]
    return ([padded[i] + padded[i + 1] for i in range(len(norm))],
            [padded[i + 1] + padded[i + 2] for i in range(len(norm))])


def dense_inputs(tokens: list[str], entities: dict[str, frozenset[str]] | None) -> np.ndarray:
    """``len(tokens) × len(DENSE_NAMES)`` 0/1 matrix."""
    out = np.zeros((len(tokens), len(DENSE_NAMES)), dtype=np.float32)
    if not tokens:
        return out
    marks = lexicon_tags(tokens, division_lexicon())
    if entities:
        for i, extra in enumerate(lexicon_tags(tokens, entities)):
            marks[i] |= {f"ent{m}" for m in extra}
    segs = segment_features(tokens)
    reps, freps = repeat_marks(tokens), forward_repeat_marks(tokens)
    for i, token in enumerate(tokens):
        names = [*marks[i], *(k for k in segs[i] if k.startswith("seg:") and len(k) == 5),
                 *([f"rep:{reps[i]}"] if reps[i] else []), *([f"frep:{freps[i]}"] if freps[i] else []),
                 f"shape:{shape(token)[0]}"]
        for name in names:
            j = _DENSE_INDEX.get(name)
            if j is not None:
                out[i, j] = 1.0
    return out


@dataclass
class Vocab:
    """Token / bigram → embedding row (0 padding, 1 unknown) and the tag list."""

    tokens: dict[str, int]
    bigrams: dict[str, int]
    tags: list[str]

    def encode(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        norm = [normalised_token(t) for t in tokens]
        left, right = bigrams(norm)
        return (np.array([self.tokens.get(t, UNK) for t in norm], dtype=np.int64),
                np.array([self.bigrams.get(b, UNK) for b in left], dtype=np.int64),
                np.array([self.bigrams.get(b, UNK) for b in right], dtype=np.int64))

    def to_json(self) -> str:
        return json.dumps({"tokens": self.tokens, "bigrams": self.bigrams, "tags": self.tags}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocab:
        data = json.loads(text)
        return cls(data["tokens"], data["bigrams"], data["tags"])


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()  # scanning the loaded libraries is the slow part: once per process


def one_blas_thread():
    """A fresh context manager: BLAS on one thread (tiny matrices: extra threads only add hand-over cost)."""
    return _threadpools().limit(limits=1, user_api="blas")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _gate_scale(four_h: int) -> np.ndarray:
    """Per-gate-row factors: sigmoid(x) = (1 + tanh(x/2)) / 2, so the i, f, o rows are halved and one tanh over all
    four gates serves; the g rows (a plain tanh) stay."""
    hidden = four_h // 4
    scale = np.full(four_h, 0.5, dtype=np.float32)
    scale[2 * hidden: 3 * hidden] = 1.0
    return scale


def _recurrence(pre: np.ndarray, w_hh: np.ndarray) -> np.ndarray:
    """R independent torch-layout LSTM recurrences (gates i, f, g, o): ``pre`` (R × T × 4H, input projections plus
    biases), ``w_hh`` (R × 4H × H) → R × T × H."""
    scale = _gate_scale(pre.shape[2])
    return _scaled_recurrence(pre * scale, [w * scale[:, None] for w in w_hh])


def _scaled_recurrence(pre: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """``_recurrence`` on inputs and recurrent weights already multiplied by ``_gate_scale``.

    Speed (numpy's per-operation overhead dominates at this size): the R runs share every elementwise operation, and
    each run's matrix-vector product is its own BLAS call (a batched 3-d product was slower: it streams all R weight
    matrices through the cache at every step)."""
    runs, steps, four_h = pre.shape
    hidden = four_h // 4
    out = np.empty((runs, steps, hidden), dtype=np.float32)
    h = np.zeros((runs, hidden), dtype=np.float32)
    c = np.zeros((runs, hidden), dtype=np.float32)
    gates = np.empty((runs, four_h), dtype=np.float32)
    for t in range(steps):
        for r in range(runs):
            np.dot(weights[r], h[r], out=gates[r])
        z = np.tanh(gates + pre[:, t])
        sig = 0.5 * z + 0.5
        c = sig[:, hidden: 2 * hidden] * c + sig[:, :hidden] * z[:, 2 * hidden: 3 * hidden]
        h = sig[:, 3 * hidden:] * np.tanh(c)
        out[:, t] = h
    return out


def _lstm(x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One direction of a torch-layout LSTM over ``x`` (T × D) → T × H."""
    return _recurrence((x @ w_ih.T + bias)[None], w_hh[None])[0]


class NeuralTagger:
    """The BiLSTM tagger loaded from ``bilstm.npz`` (weights + vocabulary)."""

    def __init__(self, path: Path):
        with np.load(path, allow_pickle=False) as data:
            self.w = {k: data[k] for k in data.files if k != "vocab"}
            self.vocab = Vocab.from_json(str(data["vocab"]))

    def inputs(self, tokens: list[str], dense: np.ndarray,
               codes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """T × D input rows: token and bigram embeddings, then the dense marks (``codes``: ``vocab.encode(tokens)``
        when the caller already has it)."""
        tok, left, right = codes if codes is not None else self.vocab.encode(tokens)
        w = self.w
        return np.concatenate([w["emb_token"][tok], w["emb_bigram"][left], w["emb_bigram"][right], dense], axis=1)

    def output(self, fwd: np.ndarray, bwd: np.ndarray) -> np.ndarray:
        """Tag probabilities from the two directions' hidden states (T × H each)."""
        logits = np.concatenate([fwd, bwd], axis=1) @ self.w["out_w"].T + self.w["out_b"]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def proba(self, tokens: list[str], dense: np.ndarray) -> np.ndarray:
        """``len(tokens) × len(tags)`` tag probabilities; ``dense`` is ``dense_inputs(tokens, entities)``."""
        return NeuralEnsemble([self]).member_proba(tokens, dense)[0]


class NeuralEnsemble:
    """Several BiLSTM members (same layer sizes) run together over one sequence."""

    def __init__(self, members: list[NeuralTagger]):
        self.members = members
        self._scale = _gate_scale(members[0].w["lstm_w_hh"].shape[0]) if members else None
        self._weights = [w * self._scale[:, None] for m in members
                         for w in (m.w["lstm_w_hh"], m.w["lstm_w_hh_r"])] if members else []
        self._same_size = len({m.w["lstm_w_hh"].shape for m in members}) <= 1
        # both directions' input projections in one product per member
        self._w_in = [np.ascontiguousarray(np.concatenate([m.w["lstm_w_ih"], m.w["lstm_w_ih_r"]]).T) for m in members]
        self._b_in = [np.concatenate([m.w["lstm_b"], m.w["lstm_b_r"]]) for m in members]
        # members trained on the same data share a vocabulary: encode the tokens once
        self._shared_vocab = all(m.vocab.tokens == members[0].vocab.tokens and
                                 m.vocab.bigrams == members[0].vocab.bigrams for m in members)

    def __len__(self) -> int:
        return len(self.members)

    def member_proba(self, tokens: list[str], dense: np.ndarray) -> list[np.ndarray]:
        """Each member's ``T × len(its tags)`` probabilities. Hold ``one_blas_thread()`` around many calls."""
        if not tokens:
            return [np.zeros((0, len(m.vocab.tags)), dtype=np.float32) for m in self.members]
        codes = self.members[0].vocab.encode(tokens) if self._shared_vocab else None
        pre = []
        for m, w_in, b_in in zip(self.members, self._w_in, self._b_in):
            both = m.inputs(tokens, dense, codes) @ w_in + b_in
            four_h = both.shape[1] // 2
            pre.append(both[:, :four_h])
            pre.append(both[::-1, four_h:])
        if self._same_size:
            states = _scaled_recurrence(np.stack(pre) * self._scale, self._weights)
        else:  # members of different sizes: one at a time
            states = [_recurrence(p[None], w[None])[0] for p, w in
                      zip(pre, [w for m in self.members for w in (m.w["lstm_w_hh"], m.w["lstm_w_hh_r"])])]
        return [m.output(states[2 * i], states[2 * i + 1][::-1]) for i, m in enumerate(self.members)]

    def proba(self, tokens: list[str], labels: list[str], dense: np.ndarray) -> np.ndarray:
        """The members' mean probabilities in the column order of ``labels`` (a label a member never saw: 0)."""
        out = np.zeros((len(tokens), len(labels)), dtype=np.float32)
        for m, proba in zip(self.members, self.member_proba(tokens, dense)):
            columns = _columns(tuple(m.vocab.tags), tuple(labels))
            out += np.where(columns >= 0, proba[:, np.maximum(columns, 0)], 0.0)
        return out / max(len(self.members), 1)


@lru_cache(maxsize=16)
def _columns(tags: tuple[str, ...], labels: tuple[str, ...]) -> np.ndarray:
    known = {t: i for i, t in enumerate(tags)}
    return np.array([known.get(label, -1) for label in labels])


@lru_cache(maxsize=8)
def allowed_transitions(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(start_ok[L], trans_ok[L, L]): BIO validity — ``I-x`` only at the continuation of an ``x``."""
    n = len(tags)
    start = np.array([not t.startswith("I-") for t in tags])
    trans = np.ones((n, n), dtype=bool)
    for j, t in enumerate(tags):
        if t.startswith("I-"):
            label = t[2:]
            for i, prev in enumerate(tags):
                trans[i, j] = prev in (f"B-{label}", f"I-{label}")
    return start, trans


def decode(proba: np.ndarray, tags: list[str]) -> list[str]:
    """The valid BIO sequence with the highest product of per-token probabilities (Viterbi)."""
    if proba.shape[0] == 0:
        return []
    start_ok, trans_ok = allowed_transitions(tuple(tags))
    logp = np.log(np.clip(proba, 1e-9, 1.0))
    score = np.where(start_ok, logp[0], -np.inf)
    back = np.zeros(proba.shape, dtype=np.int64)
    penalty = np.where(trans_ok, 0.0, -np.inf)
    for t in range(1, proba.shape[0]):
        cand = score[:, None] + penalty
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logp[t]
    best = [int(score.argmax())]
    for t in range(proba.shape[0] - 1, 0, -1):
        best.append(int(back[t, best[-1]]))
    return [tags[i] for i in reversed(best)]
