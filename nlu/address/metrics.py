"""Entity-level precision / recall / F1 (exact span and label), per label and micro-averaged overall."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from nlu.address.corpus import spans_of


@dataclass(frozen=True)
class Score:
    label: str
    precision: float
    recall: float
    f1: float
    support: int
    """Gold entities of this label."""


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def entity_scores(gold: list[list[str]], pred: list[list[str]]) -> tuple[Score, list[Score]]:
    """(overall micro score, per-label scores sorted by support) for parallel tag sequences."""
    if len(gold) != len(pred):
        raise ValueError("gold and predicted sequence counts differ")
    tp, n_gold, n_pred = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        gs = {(s.label, s.start, s.end) for s in spans_of(g)}
        ps = {(s.label, s.start, s.end) for s in spans_of(p)}
        for label, *_ in gs:
            n_gold[label] += 1
        for label, *_ in ps:
            n_pred[label] += 1
        for label, *_ in gs & ps:
            tp[label] += 1
    per_label = [Score(label, *_prf(tp[label], n_pred[label], n_gold[label]), n_gold[label])
                 for label in sorted(set(n_gold) | set(n_pred), key=lambda x: -n_gold[x])]
    overall = Score("overall", *_prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
                    sum(n_gold.values()))
    return overall, per_label


def score_fields(score: Score) -> dict[str, float | int]:
    """``{"precision", "recall", "f1", "entities"}`` rounded for meta.json and reports."""
    return {"precision": round(score.precision, 4), "recall": round(score.recall, 4), "f1": round(score.f1, 4),
            "entities": score.support}
