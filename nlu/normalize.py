"""Text normalisation before analysis: Unicode width, control characters, and the spaces ASR puts between characters.

The citizen's original text is kept untouched on the ``Case``; only ``clean_text`` changes.
"""

from __future__ import annotations

import re
import unicodedata

from hotline.case import Case
from hotline.pipeline import Component, PipelineContext
from hotline.registry import components

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC (full-width letters/digits → ASCII), drop control and zero-width characters, join CJK characters that ASR
    or copy-paste split with spaces, and collapse the remaining whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


@components.register("normalize_text")
def make_normalize_text(context: PipelineContext, include_title: bool = True) -> Component:
    """Fill ``case.clean_text`` from the title (if any) and the text."""

    def normalize(case: Case) -> Case:
        body = normalize_text(case.text)
        title = normalize_text(case.title) if include_title and case.title else ""
        case.clean_text = f"{title}。{body}" if title and title not in body else body
        return case

    return normalize
