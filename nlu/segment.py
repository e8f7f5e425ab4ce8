"""jieba word segmentation with a private dictionary.

jieba's module-level functions share one global dictionary that any import may extend (``jieba.add_word``), so
the same sentence could segment differently depending on what ran first. Features a model was trained on must
not drift like that: every part of the product that segments uses this private tokenizer with jieba's own
dictionary only.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """A ``jieba.Tokenizer`` on jieba's bundled dictionary, initialised once per process (about 0.6 s, cached)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


def words(text: str) -> list[str]:
    """jieba's words of ``text`` (default mode, HMM for unknown words), whitespace dropped."""
    return [word for word in tokenizer().lcut(text) if not word.isspace()]
