"""Batch class-mix adaptation: classify a batch of messages for the mix of domains it actually holds.

A classifier's calibrated probabilities ``p(domain | text)`` carry the class mix of the messages it was calibrated
on (``domain_prior``). A batch from another source (another city's message board, another month, another channel)
mixes the domains differently: 城乡建设 is nearly half of our hand-labelled messages (附件3/附件4), about a fifth
of the same platform's officially labelled sample (附件2, by the class sizes published for the reserved set). Saerens, Latinne & Decaestecker (2002, *Adjusting the outputs of a classifier to new a priori
probabilities*) estimate the batch's mix by EM from the probabilities alone — no labels — and re-weight each
message's probabilities by ``mix / prior``.

Here the estimate is a MAP estimate: ``strength`` pseudo-messages at the calibration mix (a Dirichlet prior), so a
small batch stays close to it and a large one speaks for itself. Batches under ``MIN_BATCH`` usable messages are not
adapted at all. Measured in docs/classification.md (*Batch class-mix adaptation*).

Live intake sees one message at a time; ``RollingMix`` keeps the probabilities of the last messages a process
classified and estimates the centre's current mix from them the same way (``category_model``'s ``adapt_window``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from hotline.case import CategoryGuess

MIN_BATCH = 30
"""Fewer usable messages than this: no adaptation (a mix estimated from a handful of messages is mostly noise)."""
STRENGTH = 50.0
"""Pseudo-messages at the calibration mix in the MAP estimate (chosen by bench/category_cv.py --batches: 0/50/200)."""


def estimate_mix(proba: np.ndarray, prior: np.ndarray, strength: float = STRENGTH, max_iter: int = 200,
                 tol: float = 1e-6) -> np.ndarray:
    """The batch's class mix, by EM over its rows of calibrated probabilities (``proba``: messages × classes, each
    row summing to 1, obtained under the class mix ``prior``)."""
    proba = np.asarray(proba, dtype=np.float64)
    prior = _as_distribution(prior)
    if proba.ndim != 2 or proba.shape[1] != len(prior):
        raise ValueError(f"probabilities of shape {proba.shape} do not match a prior over {len(prior)} classes")
    if not len(proba):
        return prior
    mix = prior.copy()
    for _ in range(max_iter):
        adjusted = adjust(proba, prior, mix)
        new = (adjusted.sum(0) + strength * prior) / (len(proba) + strength)
        done = float(np.abs(new - mix).max()) < tol
        mix = new
        if done:
            break
    return mix


def adjust(proba: np.ndarray, prior: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Probabilities obtained under class mix ``prior``, re-weighted to class mix ``mix`` (rows renormalised)."""
    weights = _as_distribution(mix) / _as_distribution(prior)
    adjusted = np.asarray(proba, dtype=np.float64) * weights
    return adjusted / np.maximum(adjusted.sum(-1, keepdims=True), 1e-300)


def _as_distribution(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or not len(values) or (values <= 0).any() or not np.isfinite(values).all():
        raise ValueError("a class mix must be a non-empty vector of positive numbers")
    return values / values.sum()


def can_adapt(backend: Any) -> bool:
    """Whether ``backend`` exposes what adaptation needs: ``domain_proba(text)``, a ``domain_prior`` and
    ``predict(text, top_k, mix=...)`` (the linear backend, when trained with a calibration pool)."""
    return getattr(backend, "domain_prior", None) is not None and callable(getattr(backend, "domain_proba", None))


def predict_batch(backend: Any, texts: Sequence[str], top_k: int = 1,
                  adapt: bool = True) -> tuple[list[list[CategoryGuess]], np.ndarray | None]:
    """Guesses for every prepared text (``""`` → ``[]``), adapted to the batch's class mix when ``adapt``, the
    backend can, and the batch has at least ``MIN_BATCH`` usable texts. Returns (guesses, the mix used or None)."""
    usable = [t for t in texts if t.strip()]
    mix = None
    if adapt and can_adapt(backend) and len(usable) >= MIN_BATCH:
        mix = estimate_mix(np.vstack([backend.domain_proba(t) for t in usable]), backend.domain_prior)
    extra = {"mix": mix} if mix is not None else {}
    return [backend.predict(t, top_k=top_k, **extra) if t.strip() else [] for t in texts], mix


class RollingMix:
    """The class mix of the last ``window`` messages one process classified, for live single-message intake.

    ``observe`` takes a message's calibrated (unadapted) probabilities and returns the mix to classify it with:
    None until ``MIN_BATCH`` messages have been seen, then the MAP estimate over the window, refreshed every
    ``every`` messages (EM over a few hundred rows takes about a millisecond). State is per process and in memory:
    a restart starts unadapted again, and each worker adapts to the share of the stream it sees. Thread-safe.
    """

    def __init__(self, prior: np.ndarray, window: int = 500, every: int = 25, strength: float = STRENGTH):
        if window < MIN_BATCH or every < 1:
            raise ValueError(f"window must be at least {MIN_BATCH} messages and every at least 1")
        self.prior = _as_distribution(prior)
        self.every = every
        self.strength = strength
        self._rows: deque[np.ndarray] = deque(maxlen=window)
        self._mix: np.ndarray | None = None
        self._since = 0
        self._lock = threading.Lock()

    def observe(self, proba: np.ndarray) -> np.ndarray | None:
        """Add one message's probabilities (over the prior's classes); the mix to classify it with, or None."""
        row = np.asarray(proba, dtype=np.float64)
        if row.shape != self.prior.shape:
            raise ValueError(f"probabilities of shape {row.shape} do not match a prior over {len(self.prior)} classes")
        with self._lock:
            self._rows.append(row)
            self._since += 1
            if len(self._rows) >= MIN_BATCH and (self._mix is None or self._since >= self.every):
                self._mix = estimate_mix(np.vstack(self._rows), self.prior, self.strength)
                self._since = 0
            return self._mix
