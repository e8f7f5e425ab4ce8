"""Leaf accuracy of the category classifier, cross-validated on the leaf-labelled messages this project wrote.

Run: ``.venv/bin/python bench/category_leaf.py [--folds 3]`` (no ../shared needed). For each fold the leaf head is
trained on the other folds' authored messages + the synthetic service-leaf sentences, exactly as
``hotline train category`` does (``fit_leaf_head``, pruned ``LeafHead``), and scored on the held-out fold, the
domain given (the leaf step runs inside the predicted domain). The cue-word rule it replaced is scored on the same
folds. Prints accuracy and top-3 accuracy for both.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nlu.category.backends.keyword import KeywordClassifier
from nlu.category.guess import leaf_in_domain
from nlu.category.training.authored import authored_examples
from nlu.category.training.synth import synth_examples
from nlu.category.training.train import TrainConfig, fit_leaf_head, leaf_examples, make_vectorizer
from nlu.taxonomy import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    keyword = KeywordClassifier(taxonomy)
    config = TrainConfig()
    authored = authored_examples(taxonomy)
    synth = [e for e in synth_examples(taxonomy, per_leaf=config.synth_per_leaf) if e.code.startswith("FW")]
    order = np.random.default_rng(0).permutation(len(authored))
    hits = {"head": [0, 0], "cue": [0, 0]}
    started = time.perf_counter()
    for k in range(args.folds):
        test = set(order[k :: args.folds].tolist())
        train = [e for i, e in enumerate(authored) if i not in test]
        held = [authored[i] for i in sorted(test)]
        rows = train + [e for e in leaf_examples(taxonomy, synth) if e.source != "authored"]
        vectorizer = make_vectorizer(config).fit([e.text for e in rows])
        head = fit_leaf_head(vectorizer, rows, config)
        matrix = vectorizer.transform([e.text for e in held])
        for i, example in enumerate(held):
            row = matrix.getrow(i)
            scores = head.scores(row.indices.astype(np.int64), row.data.astype(np.float64))
            ranked = sorted(((s, c) for c, s in scores.items() if taxonomy[c].domain == example.domain), reverse=True)
            hits["head"][0] += ranked[0][1] == example.code
            hits["head"][1] += example.code in [c for _, c in ranked[:3]]
            cue_scores, _ = keyword.scores(example.text)
            cue_ranked = sorted(((s, c) for c, s in cue_scores.items() if taxonomy[c].domain == example.domain),
                                reverse=True)
            hits["cue"][0] += leaf_in_domain(taxonomy, cue_scores, example.domain).code == example.code
            hits["cue"][1] += example.code in [c for _, c in cue_ranked[:3]]
    n = len(authored)
    print(f"authored messages: {n}, folds: {args.folds}, leaves: {len({e.code for e in authored})}, "
          f"{time.perf_counter() - started:.0f} s")
    for name, (top1, top3) in hits.items():
        print(f"{name:5s} leaf accuracy (domain given) {top1 / n:.4f}  top-3 {top3 / n:.4f}")


if __name__ == "__main__":
    main()
