"""Synthetic hotline sentences per leaf (templates × cue words × landmarks) and ASR-style noise.

Everything here is this project's own data (``nlu/category/data/templates.yaml``); seeded, so rebuilds match.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin

from nlu.taxonomy import Taxonomy

TEMPLATES_PATH = Path(__file__).resolve().parents[1] / "data" / "templates.yaml"


@dataclass(frozen=True)
class Example:
    text: str
    code: str
    domain: str
    source: str
    """``synth`` / ``tipdm-weak`` / ``tipdm-self`` / ``correction``."""


def synth_examples(taxonomy: Taxonomy, per_leaf: int = 6, seed: int = 13) -> list[Example]:
    """``per_leaf`` sentences for every leaf that has cue words (own cues preferred)."""
    spec = yaml.safe_load(TEMPLATES_PATH.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out: list[Example] = []
    for leaf in taxonomy:
        own = [c for c in leaf.cues if c not in leaf.group_cues] or list(leaf.cues)
        if not own:
            continue
        for _ in range(per_leaf):
            cue = rng.choice(own)
            if rng.random() < 0.3 and len(own) > 1:
                cue = f"{cue}，{rng.choice(own)}"
            text = rng.choice(spec["templates"]).format(
                cue=cue, place=rng.choice(spec["places"]), time=rng.choice(spec["times"])
            )
            out.append(Example(text, leaf.code, leaf.domain, "synth"))
    return out


class AsrNoise:
    """Speech-recognition-style corruption: homophone swaps, dropped/doubled characters, spaces, no punctuation."""

    PUNCT = set("，。！？、；：,.!?;:")

    def __init__(self, vocabulary: str, seed: int = 29):
        self.rng = random.Random(seed)
        self.by_sound: dict[str, list[str]] = {}
        for ch in dict.fromkeys(vocabulary):
            if "\u4e00" <= ch <= "\u9fff":
                self.by_sound.setdefault(lazy_pinyin(ch)[0], []).append(ch)

    def homophone(self, ch: str) -> str:
        options = [c for c in self.by_sound.get(lazy_pinyin(ch)[0], []) if c != ch]
        return self.rng.choice(options) if options else ch

    def __call__(self, text: str, rate: float = 0.08) -> str:
        out: list[str] = []
        for ch in text:
            if ch in self.PUNCT and self.rng.random() < 0.7:
                continue
            roll = self.rng.random()
            if roll < rate * 0.5:
                out.append(self.homophone(ch))
            elif roll < rate * 0.7:
                continue  # dropped
            elif roll < rate * 0.85:
                out.append(ch + ch)  # doubled
            else:
                out.append(ch)
        noisy = "".join(out)
        if self.rng.random() < 0.15:
            noisy = " ".join(noisy)
        return noisy
