"""CRF features for address tokens: the token and its neighbours (±2), n-grams, token shape, and matches against
the national divisions (a token inside a known 省/市/区县/乡镇 name), which carry knowledge beyond the training corpus.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from nlu.geodata.divisions import load_divisions, short_name

LEXICON_MAX_TOKENS = 10
_LEVEL_LABEL = {"province": "prov", "city": "city", "district": "district", "street": "town"}


def shape(token: str) -> str:
    """D (digits), A (Latin), C (Chinese), P (anything else), with run length for digits."""
    if token.isdigit():
        return f"D{min(len(token), 5)}"
    if re.fullmatch(r"[A-Za-z]+", token):
        return "A"
    if re.fullmatch(r"[\u3400-\u9fff]", token):
        return "C"
    return "P"


def _norm(token: str) -> str:
    return shape(token) if token.isdigit() or shape(token) == "A" else token


@lru_cache(maxsize=1)
def division_lexicon() -> dict[str, frozenset[str]]:
    """Division names (full and short forms) → the corpus labels they can be (prov, city, district, town)."""
    lexicon: dict[str, set[str]] = defaultdict(set)
    for division in load_divisions().by_code.values():
        label = _LEVEL_LABEL[division.level]
        lexicon[division.name].add(label)
        short = short_name(division)
        if short:
            lexicon[short].add(label)
    return {k: frozenset(v) for k, v in lexicon.items() if len(k) >= 2}


def lexicon_tags(tokens: list[str], lexicon: dict[str, frozenset[str]]) -> list[set[str]]:
    """For every token, ``B-level`` / ``I-level`` / ``E-level`` marks of division names covering it."""
    marks: list[set[str]] = [set() for _ in tokens]
    n = len(tokens)
    for i in range(n):
        text = ""
        for j in range(i, min(n, i + LEXICON_MAX_TOKENS)):
            text += tokens[j]
            levels = lexicon.get(text)
            if not levels or j == i and len(text) < 2:
                continue
            for level in levels:
                marks[i].add(f"B-{level}")
                for k in range(i + 1, j):
                    marks[k].add(f"I-{level}")
                marks[j].add(f"E-{level}")
    return marks


ENTITY_LABELS = frozenset({"poi", "subpoi", "road", "community", "town", "devzone", "district", "city", "subroad"})
"""Labels whose training strings form the model's entity lexicon (names recur across addresses)."""


def repeat_marks(tokens: list[str], min_tokens: int = 2) -> list[str]:
    """``B``/``I`` where a run of tokens repeats an earlier part of the same text (杭州市余杭区杭州市余杭区…): the
    corpus tags such repeats ``redundant``."""
    n = len(tokens)
    marks = [""] * n
    i = 0
    while i < n:
        best = 0
        for j in range(i):
            k = 0
            while i + k < n and j + k < i and tokens[j + k] == tokens[i + k]:
                k += 1
            best = max(best, k)
        if best >= min_tokens:
            marks[i] = "B"
            for k in range(i + 1, i + best):
                marks[k] = "I"
            i += best
        else:
            i += 1
    return marks


def sentence_features(tokens: list[str], use_lexicon: bool = True,
                      entities: dict[str, frozenset[str]] | None = None,
                      repeats: bool = False) -> list[dict[str, float | str]]:
    """One feature dict per token (python-crfsuite's ItemSequence input).

    ``entities``: the model's entity lexicon (string → labels seen in training); matches become ``ent:`` features.
    ``repeats``: mark runs that repeat earlier text (``rep:`` features).
    """
    norm = [_norm(t) for t in tokens]
    shapes = [shape(t) for t in tokens]
    marks = lexicon_tags(tokens, division_lexicon()) if use_lexicon else [set() for _ in tokens]
    if entities:
        for i, extra in enumerate(lexicon_tags(tokens, entities)):
            marks[i] |= {f"ent{m}" for m in extra}
    reps = repeat_marks(tokens) if repeats else [""] * len(tokens)
    n = len(tokens)

    def at(seq: list[str], i: int) -> str:
        return seq[i] if 0 <= i < n else ("<s>" if i < 0 else "</s>")

    features = []
    for i in range(n):
        f: dict[str, float | str] = {"bias": 1.0}
        for d in (-3, -2, -1, 0, 1, 2, 3):
            f[f"w{d}"] = at(norm, i + d)
        for d in (-1, 0, 1):
            f[f"s{d}"] = at(shapes, i + d)
        f["w-1w0"] = at(norm, i - 1) + at(norm, i)
        f["w0w1"] = at(norm, i) + at(norm, i + 1)
        f["w-2w-1"] = at(norm, i - 2) + at(norm, i - 1)
        f["w1w2"] = at(norm, i + 1) + at(norm, i + 2)
        f["w-1w0w1"] = at(norm, i - 1) + at(norm, i) + at(norm, i + 1)
        f["w-2w-1w0"] = at(norm, i - 2) + at(norm, i - 1) + at(norm, i)
        f["w0w1w2"] = at(norm, i) + at(norm, i + 1) + at(norm, i + 2)
        if i == 0:
            f["BOS"] = 1.0
        if i == n - 1:
            f["EOS"] = 1.0
        if reps[i]:
            f[f"rep:{reps[i]}"] = 1.0
            f[f"rep:{reps[i]}:{at(norm, i)}"] = 1.0
        for mark in marks[i]:
            f[f"lex:{mark}"] = 1.0
        features.append(f)
    return features
