"""Cue-word matching against the taxonomy: the rule baseline, the weak labeller and the fallback.

Every cue word of every leaf goes into one regular expression (longest cue first, so "路灯不亮" wins over "路灯" at the
same position). Each match adds to its leaves' scores: a leaf's own cue counts more than a group cue it inherited, and
longer cues count more than short ones. Confidence is ``s1 / (s1 + s2 + prior)``: one clear cue gives about 0.6, two
agreeing cues about 0.75, two leaves tied below 0.5 (→ review).
"""

from __future__ import annotations

import re
from collections import defaultdict

from hotline.case import CategoryGuess
from hotline.registry import category_backends
from nlu.category.guess import guess_from_leaf
from nlu.taxonomy import Taxonomy

OWN_CUE_WEIGHT = 1.0
GROUP_CUE_WEIGHT = 0.4
CITY_KIND_BONUS = 1.15
"""部件/事件 leaves are the more specific answer when a service leaf matches equally well."""
PRIOR = 1.0


def _cue_weight(cue: str) -> float:
    return 1.0 + 0.5 * max(0, len(cue) - 2)


class KeywordClassifier:
    """Scores leaves by the cue words found in the text."""

    name = "keyword"

    def __init__(self, taxonomy: Taxonomy, prior: float = PRIOR):
        self.taxonomy = taxonomy
        self.prior = prior
        self._cue_leaves: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for leaf in taxonomy:
            bonus = CITY_KIND_BONUS if leaf.kind != "服务" else 1.0
            for cue in leaf.cues:
                weight = (GROUP_CUE_WEIGHT if cue in leaf.group_cues else OWN_CUE_WEIGHT) * _cue_weight(cue) * bonus
                self._cue_leaves[cue.lower()].append((leaf.code, weight))
        cues = sorted(self._cue_leaves, key=lambda c: (-len(c), c))
        self._pattern = re.compile("|".join(re.escape(c) for c in cues)) if cues else None

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Raw scores per leaf code and the cue words that produced them."""
        scores: dict[str, float] = defaultdict(float)
        reasons: dict[str, list[str]] = defaultdict(list)
        if self._pattern is None:
            return scores, reasons
        for match in self._pattern.finditer(text.lower()):
            cue = match.group(0)
            for code, weight in self._cue_leaves[cue]:
                scores[code] += weight
                if cue not in reasons[code]:
                    reasons[code].append(cue)
        return scores, reasons

    def domain_scores(self, leaf_scores: dict[str, float]) -> dict[str, float]:
        """The best leaf score per domain (how strongly the taxonomy's cue words point at each domain)."""
        best: dict[str, float] = {}
        for code, score in leaf_scores.items():
            domain = self.taxonomy[code].domain
            best[domain] = max(best.get(domain, 0.0), score)
        return best

    def predict(self, text: str, top_k: int = 3) -> list[CategoryGuess]:
        scores, reasons = self.scores(text)
        if not scores:
            return []
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        guesses = []
        for i, (code, score) in enumerate(ranked[:top_k]):
            rival = self._rival(code, ranked, reasons)
            confidence = score / (score + rival + self.prior)
            guesses.append(guess_from_leaf(self.taxonomy[code], confidence, reasons[code][:5]))
        return guesses

    @staticmethod
    def _rival(code: str, ranked: list[tuple[str, float]], reasons: dict[str, list[str]]) -> float:
        """The strongest competing score. A lower-scored leaf matched only by cues this leaf also matched is the
        same reading at another granularity (an 事件 and its service group), so it counts half."""
        mine = set(reasons[code])
        best = 0.0
        own_score = dict(ranked)[code]
        for other, score in ranked:
            if other == code:
                continue
            same_reading = set(reasons[other]) <= mine and score <= own_score
            best = max(best, score * (0.5 if same_reading else 1.0))
        return best


@category_backends.register("keyword")
def make_keyword(taxonomy: Taxonomy, **_: object) -> KeywordClassifier:
    """Factory for the registry (extra configuration is ignored)."""
    return KeywordClassifier(taxonomy)
