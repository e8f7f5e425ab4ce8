"""Batch class-mix adaptation of the shipped model on the dev split, in batches with the reserved set's class mix.

Run: ``.venv/bin/python bench/category_mix.py [--batches 200]`` (needs ../shared; seconds). The dev split's
7-domain messages (401, never trained on) are drawn into batches whose class proportions are the reserved set's
(scaled down to what dev holds: 卫生计生 has 17), each batch is classified message by message and adapted to its
own mix (``nlu.category.mix``, as ``hotline predict category`` does), and the 7-domain macro-F1 of both is
printed (mean ± sd over the batches). ``bench/category_cv.py --batches`` does the same on 5-fold held-out
predictions over all 7,141 hand labels, in full-size batches.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.metrics import f1_score

from nlu.category.backend import make_backend
from nlu.category.mix import adjust, estimate_mix
from nlu.category.training.corpus import tipdm_available
from nlu.category.training.train import RESERVED_PRIOR, SEVEN, dev_sets
from nlu.taxonomy import load_taxonomy


def reserved_batch(gold: np.ndarray, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Row indices of one batch with the reserved set's class sizes × ``scale``, drawn without replacement."""
    return np.concatenate([rng.choice(np.flatnonzero(gold == c), max(int(RESERVED_PRIOR[c] * scale), 1),
                                      replace=False) for c in SEVEN])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--model-dir", default="models/category-linear")
    args = parser.parse_args()
    if not tipdm_available():
        raise SystemExit("needs ../shared/data/tipdm2020-c-smart-gov-messages (the dev labels refer to it)")
    taxonomy = load_taxonomy()
    backend = make_backend("linear", taxonomy, model_dir=args.model_dir)
    texts, labels = dev_sets(taxonomy)["tipdm-hand-dev"]
    keep = [i for i, g in enumerate(labels) if g in SEVEN]
    gold = np.array([labels[i] for i in keep])
    proba = np.vstack([backend.domain_proba(texts[i]) for i in keep])
    names = np.array(backend.domains, dtype=object)
    scale = min((gold == c).sum() / RESERVED_PRIOR[c] for c in SEVEN)
    rng = np.random.default_rng(3)
    scores: dict[str, list[float]] = {"per message": [], "adapted to the batch": []}
    for _ in range(args.batches):
        rows = reserved_batch(gold, rng, scale)
        adapted = adjust(proba[rows], backend.domain_prior, estimate_mix(proba[rows], backend.domain_prior))
        for name, p in (("per message", proba[rows]), ("adapted to the batch", adapted)):
            scores[name].append(f1_score(gold[rows], names[p.argmax(1)], labels=SEVEN, average="macro",
                                         zero_division=0))
    print(f"{args.batches} batches of {len(rows)} dev messages at the reserved class mix (scale {scale:.2f}); "
          "7-domain macro-F1, mean ± sd:")
    for name, values in scores.items():
        print(f"  {name:22s} {np.mean(values):.4f} ± {np.std(values):.4f}")


if __name__ == "__main__":
    main()
