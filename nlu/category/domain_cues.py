"""Domain (一级分类) cue words: what a citizen's message is *about*, in the words people use (物业、社保、补课、噪音扰民 …).

The data is ``nlu/category/data/domain_cues.yaml`` (this project's own list; a cue may be a regular expression).
Two users:

- training: ``nlu.category.training.weak.WeakLabeller`` labels real messages by these votes (title counts double);
- prediction: the ``linear`` backend adds ``fusion_weight × votes`` to the model's log-probabilities, so a decisive
  cue word the training data under-represents still counts (the weight is chosen by cross-validation at training
  time and stored in the model's ``meta.json``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DOMAIN_CUES_PATH = Path(__file__).resolve().parent / "data" / "domain_cues.yaml"
MAX_COUNT = 2
"""A cue repeated many times in one text counts at most this many times."""
TITLE_WEIGHT = 2.0


@dataclass(frozen=True)
class DomainCue:
    pattern: re.Pattern[str]
    domain: str
    weight: float


class DomainCues:
    """Weighted cue-word votes per domain."""

    def __init__(self, cues: list[DomainCue], version: str = ""):
        self.cues = cues
        self.version = version
        self.domains = sorted({c.domain for c in cues})

    @classmethod
    def load(cls, path: Path = DOMAIN_CUES_PATH) -> DomainCues:
        """Read the YAML file (``domains: {domain: {weight: [cue, …]}}``)."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        cues = [
            DomainCue(re.compile(str(cue)), str(domain), float(weight))
            for domain, by_weight in (raw.get("domains") or {}).items()
            for weight, words in (by_weight or {}).items()
            for cue in words or ()
        ]
        return cls(cues, str(raw.get("version", "")))

    def votes(self, text: str, title: str = "") -> dict[str, float]:
        """Votes per domain for ``text`` (and ``title``, counted double); domains without a hit are absent."""
        out: dict[str, float] = {}
        for cue in self.cues:
            hits = min(len(cue.pattern.findall(text)), MAX_COUNT)
            if title and cue.pattern.search(title):
                hits += TITLE_WEIGHT
            if hits:
                out[cue.domain] = out.get(cue.domain, 0.0) + cue.weight * hits
        return out

    def matched(self, text: str, domain: str, limit: int = 5) -> list[str]:
        """The cue words of ``domain`` found in ``text``, strongest first (a reason an agent can read)."""
        found: list[tuple[float, str]] = []
        for cue in self.cues:
            if cue.domain == domain:
                match = cue.pattern.search(text)
                if match:
                    found.append((cue.weight, match.group(0)))
        found.sort(key=lambda wc: (-wc[0], -len(wc[1])))
        return list(dict.fromkeys(word for _, word in found))[:limit]


@lru_cache(maxsize=4)
def cached_domain_cues(path: Path = DOMAIN_CUES_PATH) -> DomainCues:
    """``DomainCues.load`` once per file and process."""
    return DomainCues.load(path)
