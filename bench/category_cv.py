"""Domain accuracy of the linear backend's learners, k-fold cross-validated over every hand-labelled real message.

Run: ``.venv/bin/python bench/category_cv.py [--folds 5] [--learners svm logreg] [--batches 200] [--streams 20]
[--blocks chars title_chars:0.7 words:0.7] [--c 0.2]`` (needs ../shared). The dev split
(401 messages) is too small to tell two learners apart: one message of a small class moves its macro-F1 by about a
point. This pools the training and dev hand labels (7,141 messages, 6,005 of them in the 7 scored domains) and, for
each fold, fits the domain head exactly as ``hotline train category`` does (``fit``: synthetic sentences always in
training, hand labels at ``hand_weight``) and predicts the held-out fold with the numpy model. Cue fusion and the
temperature are left out (the temperature does not change the top domain; the fusion weights are fitted later).

Prints, per learner, the 7-domain macro-F1 (as is, and re-weighted to the reserved set's class sizes) and accuracy;
for two learners also a paired bootstrap of the macro-F1 difference over the same held-out predictions.

``--blocks``: feature blocks as ``view[:weight[:max_features]]`` (default: the shipped ``DEFAULT_BLOCKS``), ``--c``:
the domain head's C (default: the learner's tuned one) — how the blocks and C were chosen (docs/classification.md).

``--streams N``: live adaptation (``RollingMix``, what ``category_model``'s ``adapt_window`` does), measured on N
streams of about 1,240 held-out messages at the reserved class mix, classified one at a time in a random order:
per message, adapted with rolling windows of several sizes, and the whole stream adapted as one batch (scored on the
messages after the first 200, which every way sees before its window fills).

``--batches N``: batch class-mix adaptation (``nlu.category.mix``), measured on N batches drawn from the held-out
predictions of the first learner with the reserved set's published class sizes (101 … 33, 495 messages, 7 domains:
a mix far from the hand labels', where 城乡建设 is nearly half). The held-out probabilities get a temperature fitted on
themselves and the calibration mix of the whole pool, as ``hotline train category`` does; each batch is then
classified per message, adapted at several strengths, and with its true mix given (a ceiling, for reference).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from category_mix import reserved_batch  # bench/ is on the path when run as a script
from nlu.category.features import DEFAULT_BLOCKS, FeatureBlock
from nlu.category.mix import STRENGTH, RollingMix, adjust, estimate_mix
from nlu.category.training.corpus import tipdm_available
from nlu.category.training.synth import Example
from nlu.category.training.train import (
    DOMAIN_LEARNERS,
    LEARNER_C,
    RESERVED_PRIOR,
    SEVEN,
    TrainConfig,
    build_examples,
    calibration_mix,
    dev_sets,
    fit,
    fit_temperature,
)
from nlu.taxonomy import load_taxonomy


def macro_f1(gold: np.ndarray, pred: np.ndarray, reserved_prior: bool = False) -> float:
    weights = None
    if reserved_prior:
        counts = {c: max(int((gold == c).sum()), 1) for c in SEVEN}
        weights = np.array([RESERVED_PRIOR[g] / counts[g] for g in gold])
    return float(f1_score(gold, pred, labels=SEVEN, average="macro", zero_division=0, sample_weight=weights))


def batch_adaptation(raw: np.ndarray, gold: np.ndarray, domains: list[str], draws: int) -> None:
    """Per message vs adapted to each batch's mix, on ``draws`` batches with the reserved class sizes."""
    proba, temperature = calibrated(raw, gold, domains)
    prior = calibration_mix(gold, domains)
    names = np.array(domains, dtype=object)
    rng = np.random.default_rng(7)
    total = sum(RESERVED_PRIOR.values())
    known = np.array([RESERVED_PRIOR.get(d, 0) / total + 1e-6 for d in domains])
    ways = {"per message": lambda p: p, **{f"adapted, strength {s:g}": (lambda p, s=s: adjust(
        p, prior, estimate_mix(p, prior, strength=s))) for s in (0.0, STRENGTH, 200.0)},
            "true mix given (ceiling)": lambda p: adjust(p, prior, known)}
    scores: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(draws):
        rows = reserved_batch(gold, rng)
        for name, way in ways.items():
            scores[name].append(macro_f1(gold[rows], names[way(proba[rows]).argmax(1)]))
    print(f"batch class-mix adaptation: {draws} batches of {total} held-out messages at the reserved class sizes "
          f"(temperature {temperature:.3f}); 7-domain macro-F1, mean ± sd:")
    for name, values in scores.items():
        print(f"  {name:28s} {np.mean(values):.4f} ± {np.std(values):.4f}")


def calibrated(raw: np.ndarray, gold: np.ndarray, domains: list[str]) -> tuple[np.ndarray, float]:
    """Held-out probabilities with a temperature fitted on themselves, as ``hotline train category`` does."""
    log_raw = np.log(raw + 1e-12)
    temperature, _ = fit_temperature(log_raw, np.array([domains.index(g) for g in gold]))
    z = np.exp(log_raw / temperature - (log_raw / temperature).max(1, keepdims=True))
    return z / z.sum(1, keepdims=True), temperature


def stream_adaptation(raw: np.ndarray, gold: np.ndarray, domains: list[str], streams: int, warm_up: int = 200) -> None:
    """Per message vs a rolling window of recent messages (``RollingMix``) vs the whole stream as one batch."""
    proba, _ = calibrated(raw, gold, domains)
    prior = calibration_mix(gold, domains)
    names = np.array(domains, dtype=object)
    rng = np.random.default_rng(11)
    scores: dict[str, list[float]] = {}
    for _ in range(streams):
        rows = rng.permutation(reserved_batch(gold, rng, scale=2.5))  # as many as 卫生计生 allows
        p, g = proba[rows], gold[rows]
        ways = {"per message": p, "whole stream as one batch": adjust(p, prior, estimate_mix(p, prior))}
        for window in (200, 500, 1000):
            rolling = RollingMix(prior, window=window)
            ways[f"rolling window {window}"] = np.vstack([
                adjust(row[None], prior, mix)[0] if (mix := rolling.observe(row)) is not None else row for row in p])
        for name, q in ways.items():
            scores.setdefault(name, []).append(macro_f1(g[warm_up:], names[q[warm_up:].argmax(1)]))
    print(f"live adaptation: {streams} streams of {len(rows)} held-out messages at the reserved class mix, one at a "
          f"time; 7-domain macro-F1 after the first {warm_up}, mean ± sd:")
    for name, values in scores.items():
        print(f"  {name:28s} {np.mean(values):.4f} ± {np.std(values):.4f}")


def parse_block(spec: str) -> FeatureBlock:
    """``view[:weight[:max_features]]`` → a block (max_features: the default block's of that view, else 60,000)."""
    name, *rest = spec.split(":")
    default = next((b for b in DEFAULT_BLOCKS if b.view == name), FeatureBlock(name, 60_000))
    weight = float(rest[0]) if rest else 1.0
    return FeatureBlock(name, int(rest[1]) if len(rest) > 1 else default.max_features, weight)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=0, help="measure batch class-mix adaptation on N batches")
    parser.add_argument("--learners", nargs="+", default=["svm", "logreg"], choices=sorted(DOMAIN_LEARNERS))
    parser.add_argument("--streams", type=int, default=0, help="measure live (rolling) adaptation on N streams")
    parser.add_argument("--blocks", nargs="+", type=parse_block, help="view[:weight[:max_features]] …")
    parser.add_argument("--c", type=float, help="the domain head's C (default: the learner's tuned one)")
    args = parser.parse_args()
    blocks = tuple(args.blocks) if args.blocks else DEFAULT_BLOCKS
    if not tipdm_available():
        raise SystemExit("needs ../shared/data/tipdm2020-c-smart-gov-messages (the hand labels refer to it)")
    taxonomy = load_taxonomy()
    examples, _ = build_examples(taxonomy, TrainConfig())
    texts, gold_dev = dev_sets(taxonomy)["tipdm-hand-dev"]
    hand = [e for e in examples if e.source == "tipdm-hand"]
    hand += [Example(t, taxonomy.default_leaf(d).code, d, "tipdm-hand") for t, d in zip(texts, gold_dev)]
    fixed = [e for e in examples if e.source != "tipdm-hand"]
    gold = np.array([e.domain for e in hand])
    order = np.random.default_rng(0).permutation(len(hand))
    predictions: dict[str, np.ndarray] = {}
    held_proba: dict[str, np.ndarray] = {}
    for learner in args.learners:
        config = TrainConfig(learner=learner, blocks=blocks, c=args.c)
        started = time.perf_counter()
        pred = np.empty(len(hand), dtype=object)
        proba = np.zeros((len(hand), len(taxonomy.domains)))
        for k in range(args.folds):
            test = set(order[k :: args.folds].tolist())
            model = fit(fixed + [e for i, e in enumerate(hand) if i not in test], config)
            columns = [taxonomy.domains.index(d) for d in model.domains]
            for i in sorted(test):
                proba[i, columns] = model.model_proba(hand[i].text)
                pred[i] = model.domains[int(np.argmax(proba[i, columns]))]
        predictions[learner], held_proba[learner] = pred, proba
        seven = np.isin(gold, SEVEN)
        print(f"{learner:7s} C={args.c or LEARNER_C[learner]:<4} blocks {[(b.view, b.weight) for b in blocks]} {args.folds}-fold over {len(hand)} hand labels ({seven.sum()} in the 7 "
              f"domains): macro-F1 {macro_f1(gold[seven], pred[seven]):.4f}, at the reserved prior "
              f"{macro_f1(gold[seven], pred[seven], True):.4f}, accuracy {accuracy_score(gold[seven], pred[seven]):.4f}"
              f"  ({time.perf_counter() - started:.0f} s)", flush=True)
    if args.batches:
        batch_adaptation(held_proba[args.learners[0]], gold, taxonomy.domains, args.batches)
    if args.streams:
        stream_adaptation(held_proba[args.learners[0]], gold, taxonomy.domains, args.streams)
    if len(args.learners) == 2:
        first, second = args.learners
        seven = np.isin(gold, SEVEN)
        g, a, b = gold[seven], predictions[first][seven], predictions[second][seven]
        rng = np.random.default_rng(1)
        diffs = []
        for _ in range(500):
            i = rng.integers(0, len(g), len(g))
            diffs.append(macro_f1(g[i], a[i]) - macro_f1(g[i], b[i]))
        low, high = np.percentile(diffs, [2.5, 97.5])
        print(f"{first} − {second}: macro-F1 {np.mean(diffs):+.4f} (paired bootstrap, 500 draws, 95 % {low:+.4f} … "
              f"{high:+.4f})")


if __name__ == "__main__":
    main()
