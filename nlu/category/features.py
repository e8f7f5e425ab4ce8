"""The features every head of the linear backend reads: TF-IDF blocks, one per *view* of the message.

A view turns the prepared text (``title。body``) into the terms it counts. Views are registered by name
(``hotline.registry.category_views``); a model lists its blocks (view, size, weight) in ``meta.json``.
Training gives each block a scikit-learn ``TfidfVectorizer`` with the view as its analyzer, and inference
(``LinearModel``) counts the same terms with the same function, so the two agree by construction.

Why three views (5-fold CV over the hand labels, ``bench/category_cv.py``; docs/classification.md): character
n-grams carry most of it and survive typos and ASR noise; the title, which on a message board names the matter,
gets its own weights; jieba words add whole-word evidence (医保 as one term, not 医/保/医保 spread over others).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace

from catalogue import RegistryError

from hotline.registry import category_views
from nlu.segment import words as jieba_words

_WHITE_SPACES = re.compile(r"\s\s+")
TITLE_CHARS = 40
"""The title view reads the text up to its first 。 (where ``prepare`` joins title and body), at most this long."""


def char_ngrams(text: str, low: int = 1, high: int = 3) -> list[str]:
    """Character n-grams exactly as scikit-learn's ``analyzer="char"`` makes them (lower case, runs of
    whitespace collapsed), so models exported from earlier versions keep their meaning."""
    doc = _WHITE_SPACES.sub(" ", text.lower())
    return [doc[start : start + n] for n in range(low, high + 1) for start in range(len(doc) - n + 1)]


@category_views.register("chars")
def chars(text: str) -> list[str]:
    """Character 1–3-grams of the whole text."""
    return char_ngrams(text)


@category_views.register("title_chars")
def title_chars(text: str) -> list[str]:
    """Character 1–3-grams of the title (the text before the first 。, at most ``TITLE_CHARS``)."""
    return char_ngrams(text.split("。", 1)[0][:TITLE_CHARS])


@category_views.register("words")
def words(text: str) -> list[str]:
    """jieba words of the lower-cased text (``nlu.segment``: a private dictionary, so segmentation never drifts)."""
    return jieba_words(text.lower())


@dataclass(frozen=True)
class FeatureBlock:
    """One TF-IDF block: its view, the most terms training keeps, and the weight of its L2-normalised row."""

    view: str
    max_features: int
    weight: float = 1.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


DEFAULT_BLOCKS = (FeatureBlock("chars", 60_000), FeatureBlock("title_chars", 20_000, 0.7),
                  FeatureBlock("words", 60_000, 0.7))
"""Chosen by 5-fold CV over the hand labels (docs/classification.md, seventh session)."""
LEGACY_BLOCKS = (FeatureBlock("chars", 60_000),)
"""What a model saved before blocks existed reads: character 1–3-grams only."""


def capped(blocks: Iterable[FeatureBlock], most: int) -> tuple[FeatureBlock, ...]:
    """``blocks`` keeping at most ``most`` terms each (small models for tests and quick experiments)."""
    return tuple(replace(block, max_features=min(block.max_features, most)) for block in blocks)


def view(name: str) -> Callable[[str], list[str]]:
    """The registered view ``name``; an unknown name says which exist."""
    try:
        return category_views.get(name)
    except RegistryError as exc:
        raise ValueError(f"unknown feature view {name!r}; known: {sorted(category_views.get_all())}") from exc


def blocks_from_meta(rows: Iterable[dict[str, object]] | None) -> tuple[FeatureBlock, ...]:
    """``meta.json → blocks`` back to ``FeatureBlock``s (absent: ``LEGACY_BLOCKS``)."""
    if not rows:
        return LEGACY_BLOCKS
    return tuple(FeatureBlock(str(r["view"]), int(r["max_features"]), float(r.get("weight", 1.0)))  # type: ignore[arg-type]
                 for r in rows)
