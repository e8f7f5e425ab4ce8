"""Turning whatever a citizen sent into text a classifier can read, with a defined answer for bad input.

Rules (documented in docs/classification.md):
- Unicode NFKC (full-width → half-width), control and format characters removed, whitespace runs collapsed, spaces
  between two CJK characters dropped (ASR output and hand-typed "井 盖 丢 了").
- Title and body are joined as ``title。body`` (a title repeated at the start of the body is not doubled).
- Longer than ``max_chars`` → the head is kept and ``truncated`` is set (a reason the agent sees).
- No CJK character at all (empty, punctuation, emoji, English only) → ``usable`` is False: classifiers abstain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DEFAULT_MAX_CHARS = 2000

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE_BETWEEN_CJK = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PreparedText:
    """Classifier input and what was done to get it."""

    text: str
    truncated: bool = False
    original_chars: int = 0

    @property
    def usable(self) -> bool:
        """True when the text has at least one Chinese character (otherwise every backend abstains)."""
        return bool(_CJK.search(self.text))


def clean(raw: str) -> str:
    """NFKC, drop control/format characters, collapse whitespace, remove spaces between CJK characters."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = _WHITESPACE.sub(" ", text).strip()
    return _SPACE_BETWEEN_CJK.sub("", text)


def prepare(text: str | None, title: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> PreparedText:
    """Clean and join title and body; truncate to ``max_chars`` (keeping the head)."""
    body = clean(text or "")
    head = clean(title or "")
    joined = body if not head or body.startswith(head) else (f"{head}。{body}" if body else head)
    if len(joined) > max_chars:
        return PreparedText(joined[:max_chars], truncated=True, original_chars=len(joined))
    return PreparedText(joined, truncated=False, original_chars=len(joined))
