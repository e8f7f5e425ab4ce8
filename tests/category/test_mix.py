"""Batch class-mix adaptation (EM over calibrated probabilities, Saerens et al. 2002), on a problem whose true
posteriors are known exactly: three classes with Gaussian scores."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.category.mix import MIN_BATCH, RollingMix, adjust, can_adapt, estimate_mix, predict_batch

MEANS = np.array([-2.0, 0.0, 2.0])


def posteriors(x: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Exact p(class | x) for unit-variance Gaussians at ``MEANS`` under class mix ``prior``."""
    likelihood = np.exp(-0.5 * (x[:, None] - MEANS[None, :]) ** 2)
    joint = likelihood * prior
    return joint / joint.sum(1, keepdims=True)


def sample(mix: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.choice(len(mix), size=n, p=mix)
    return rng.normal(MEANS[y], 1.0), y


TRAIN = np.array([0.7, 0.2, 0.1])
BATCH = np.array([0.1, 0.3, 0.6])


def test_recovers_a_shifted_mix_and_classifies_better():
    x, y = sample(BATCH, 3_000, seed=1)
    proba = posteriors(x, TRAIN)
    mix = estimate_mix(proba, TRAIN, strength=0.0)
    assert np.abs(mix - BATCH).max() < 0.04
    before = (proba.argmax(1) == y).mean()
    after = (adjust(proba, TRAIN, mix).argmax(1) == y).mean()
    assert after > before + 0.05  # the calibration mix sends many class-2 messages to class 0


def test_same_mix_changes_nothing():
    x, _ = sample(TRAIN, 2_000, seed=2)
    proba = posteriors(x, TRAIN)
    mix = estimate_mix(proba, TRAIN)
    assert np.abs(mix - TRAIN).max() < 0.04
    assert np.allclose(adjust(proba, TRAIN, TRAIN), proba)


def test_strength_keeps_small_batches_near_the_calibration_mix():
    x, _ = sample(BATCH, 5, seed=3)
    proba = posteriors(x, TRAIN)
    free, held = estimate_mix(proba, TRAIN, strength=0.0), estimate_mix(proba, TRAIN, strength=50.0)
    assert np.abs(held - TRAIN).sum() < np.abs(free - TRAIN).sum()
    assert np.abs(held - TRAIN).max() < 0.1


@pytest.mark.parametrize("proba, prior", [
    (np.full((4, 2), 0.5), np.array([0.5, 0.3, 0.2])),  # shapes disagree
    (np.full((4, 3), 1 / 3), np.array([0.5, 0.5, 0.0])),  # a class with no mass
    (np.full((4, 3), 1 / 3), np.array([np.nan, 0.5, 0.5])),
])
def test_bad_arguments_are_refused(proba, prior):
    with pytest.raises(ValueError):
        estimate_mix(proba, prior)


def test_empty_batch_keeps_the_prior():
    assert np.allclose(estimate_mix(np.zeros((0, 3)), TRAIN), TRAIN)


class _Gaussian:
    """A minimal backend over the Gaussian problem: text = the score as a string."""

    domains = ["a", "b", "c"]
    domain_prior = TRAIN

    def __init__(self):
        self.mixes: list[np.ndarray | None] = []

    def domain_proba(self, text: str) -> np.ndarray:
        return posteriors(np.array([float(text)]), TRAIN)[0]

    def predict(self, text: str, top_k: int = 3, mix: np.ndarray | None = None) -> list[str]:
        self.mixes.append(mix)
        proba = self.domain_proba(text) if mix is None else adjust(self.domain_proba(text), TRAIN, mix)
        return [self.domains[int(proba.argmax())]]


def test_predict_batch_adapts_only_large_enough_batches():
    backend = _Gaussian()
    assert can_adapt(backend) and not can_adapt(object())
    x, _ = sample(BATCH, MIN_BATCH - 1, seed=4)
    texts = [f"{v:.3f}" for v in x] + ["", "  "]  # unusable texts get [] and do not count
    guesses, mix = predict_batch(backend, texts)
    assert mix is None and guesses[-2:] == [[], []] and all(m is None for m in backend.mixes)
    x, _ = sample(BATCH, 200, seed=5)
    guesses, mix = predict_batch(backend, [f"{v:.3f}" for v in x])
    assert mix is not None and mix[2] > 0.4 and len(guesses) == 200
    assert predict_batch(backend, [f"{v:.3f}" for v in x], adapt=False)[1] is None


def test_rolling_mix_waits_for_enough_messages_then_follows_the_stream():
    prior = np.array([0.5, 0.3, 0.2])
    rolling = RollingMix(prior, window=MIN_BATCH * 2, every=5)
    leaning = np.array([0.2, 0.2, 0.6])  # every message leans to the class the prior thinks rarest
    mixes = [rolling.observe(leaning) for _ in range(MIN_BATCH * 3)]
    assert all(m is None for m in mixes[: MIN_BATCH - 1]) and mixes[MIN_BATCH - 1] is not None
    assert mixes[-1][2] > prior[2] + 0.1 and abs(mixes[-1].sum() - 1) < 1e-9
    refreshed = [i for i in range(MIN_BATCH, len(mixes)) if mixes[i] is not mixes[i - 1]]
    assert refreshed and all(b - a == 5 for a, b in zip(refreshed, refreshed[1:]))  # re-estimated every 5


def test_rolling_mix_refuses_bad_settings_and_rows():
    with pytest.raises(ValueError, match="window"):
        RollingMix(np.array([0.5, 0.5]), window=MIN_BATCH - 1)
    with pytest.raises(ValueError, match="do not match"):
        RollingMix(np.array([0.5, 0.5])).observe(np.array([0.2, 0.3, 0.5]))
