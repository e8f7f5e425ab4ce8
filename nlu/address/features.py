"""CRF features for address tokens.

Always: the token and its neighbours (±3), bigrams and trigrams, token shape, and matches against the national
divisions (a token inside a known 省/市/区县/乡镇 name) and, when the model has one, its training-entity lexicon.
Optional groups (``FEATURE_GROUPS``; a model's ``meta.json`` lists the ones it was trained with), each a small
function: ``repeats`` / ``forward_repeats`` (a run that repeats earlier text / occurs again later: the corpus
tags such copies ``redundant``), ``division_repeats`` (浙江 … 浙江省), ``cues`` (nearest element-ending character
ahead/behind), ``segments`` (jieba word boundaries), ``wide`` (±4 window), ``pos`` (jieba dictionary part of
speech), ``digits`` (numbers around).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from nlu.geodata.divisions import load_divisions, short_name
from nlu.segment import tokenizer

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


def normalised_token(token: str) -> str:
    """Digit and Latin runs become their shape (D3, A); other tokens stay as they are."""
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


CUE_CHARS = frozenset("省市区县镇乡街道路巷弄号栋幢座单元室楼层村组苑园府城庄厦场店司厂院校里湾坊")
"""Characters that end (or sit inside) address elements: the nearest one ahead/behind tells a token which element
it probably belongs to (三 in 三墩镇 sees 镇 two tokens ahead)."""
CUE_REACH = 8
"""How far (tokens) the cue features look."""


def forward_repeat_marks(tokens: list[str], min_tokens: int = 2) -> list[str]:
    """``B``/``I`` where a run of tokens occurs again LATER in the text: the corpus often tags the first copy of a
    repeated prefix (浙江省湖州市安吉县浙江省安吉县九龙路…) ``redundant`` and keeps the copy next to the rest."""
    backwards = repeat_marks(tokens[::-1], min_tokens)[::-1]
    # on reversed text a run starts with B; in reading order it therefore ENDS with B
    marks = [""] * len(tokens)
    for i, mark in enumerate(backwards):
        if mark:
            starts_run = i == 0 or backwards[i - 1] in ("", "B")
            marks[i] = "B" if starts_run else "I"
    return marks


def division_repeat_marks(tokens: list[str]) -> list[set[str]]:
    """``dupE``/``dupL`` on tokens of a division name whose short form (浙江 for 浙江省) is named Earlier or Later
    in the same text: catches repeats that differ by suffix (浙江-温州-瓯海区 … 浙江省温州市瓯海区)."""
    lexicon = division_lexicon()
    n = len(tokens)
    found: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        best = None
        text = ""
        for j in range(i, min(n, i + LEXICON_MAX_TOKENS)):
            text += tokens[j]
            if len(text) >= 2 and text in lexicon:
                best = (i, j + 1, _division_key(text))
        if best:
            found.append(best)
            i = best[1]
        else:
            i += 1
    marks: list[set[str]] = [set() for _ in tokens]
    for k, (start, end, key) in enumerate(found):
        earlier = any(other[2] == key for other in found[:k])
        later = any(other[2] == key for other in found[k + 1:])
        for t in range(start, end):
            if earlier:
                marks[t].add("dupE")
            if later:
                marks[t].add("dupL")
    return marks


def _division_key(name: str) -> str:
    """浙江省 / 浙江 → 浙江; 温州市 → 温州 (strip one administrative suffix)."""
    for suffix in ("自治区", "自治州", "特别行政区", "新区", "省", "市", "区", "县", "镇", "乡", "街道"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def cue_features(tokens: list[str]) -> list[dict[str, float]]:
    """Nearest cue character ahead and behind (and its distance, capped): long-range hints a ±3 window misses."""
    n = len(tokens)
    out: list[dict[str, float]] = []
    for i in range(n):
        f: dict[str, float] = {}
        for j in range(i + 1, min(n, i + 1 + CUE_REACH)):
            if tokens[j] in CUE_CHARS:
                f[f"nx:{tokens[j]}"] = 1.0
                f[f"nx:{tokens[j]}:{min(j - i, 5)}"] = 1.0
                break
        for j in range(i - 1, max(-1, i - 1 - CUE_REACH), -1):
            if tokens[j] in CUE_CHARS:
                f[f"pv:{tokens[j]}"] = 1.0
                f[f"pv:{tokens[j]}:{min(i - j, 5)}"] = 1.0
                break
        out.append(f)
    return out


def segment_features(tokens: list[str]) -> list[dict[str, float]]:
    """See ``_segment_features``; the CRF features and the BiLSTM inputs of one parse share the result (read-only)."""
    return list(_segment_features(tuple(tokens)))


@lru_cache(maxsize=16)
def _segment_features(tokens: tuple[str, ...]) -> tuple[dict[str, float], ...]:
    """jieba word segmentation of the joined tokens: each token's position in its word (B/M/E/S) and the word
    itself (when two characters or more) — word boundaries help split names that run together (君悦华府|华盛苑)."""
    text = "".join(tokens)
    owner: list[int] = []
    for index, token in enumerate(tokens):
        owner.extend([index] * len(token))
    out: list[dict[str, float]] = [{} for _ in tokens]
    pos = 0
    for word in tokenizer().lcut(text, HMM=True):
        first, last = owner[pos], owner[pos + len(word) - 1]
        for t in range(first, last + 1):
            tag = "S" if first == last else "B" if t == first else "E" if t == last else "M"
            out[t][f"seg:{tag}"] = 1.0
            if len(word) >= 2 and not word.isdigit():
                out[t][f"segw:{word}"] = 1.0
                out[t][f"segw:{tag}:{word[-1]}"] = 1.0
        pos += len(word)
    return tuple(out)


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's dictionary part-of-speech tags (ns place name, nr person name, nt organisation …)."""
    import jieba.posseg

    tokenizer()
    return jieba.posseg.dt.word_tag_tab if hasattr(jieba.posseg.dt, "word_tag_tab") else {}


def pos_features(tokens: list[str]) -> list[dict[str, float]]:
    """The dictionary part of speech of the jieba word each token sits in (a lookup, no tagging pass)."""
    text = "".join(tokens)
    owner: list[int] = []
    for index, token in enumerate(tokens):
        owner.extend([index] * len(token))
    tags = _word_tags()
    out: list[dict[str, float]] = [{} for _ in tokens]
    pos = 0
    for word in tokenizer().lcut(text, HMM=True):
        tag = tags.get(word)
        if tag:
            for t in range(owner[pos], owner[pos + len(word) - 1] + 1):
                out[t][f"pos:{tag}"] = 1.0
        pos += len(word)
    return out


def digit_features(tokens: list[str]) -> list[dict[str, float]]:
    """For number tokens: how many numbers come before and after in the text (capped at 3) — 41-5-3106 is
    楼栋-单元-房间, 6-1194 楼栋-房间 — and the token after the next number."""
    numbers = [i for i, t in enumerate(tokens) if t.isdigit()]
    out: list[dict[str, float]] = [{} for _ in tokens]
    for k, i in enumerate(numbers):
        before, after = min(k, 3), min(len(numbers) - k - 1, 3)
        out[i][f"num:{before}:{after}"] = 1.0
        out[i][f"numafter:{after}"] = 1.0
        if k + 1 < len(numbers):
            j = numbers[k + 1]
            out[i][f"numnext:{tokens[j + 1] if j + 1 < len(tokens) else '</s>'}"] = 1.0
    return out


FEATURE_GROUPS = ("repeats", "forward_repeats", "division_repeats", "cues", "segments", "wide", "pos", "digits")
"""Optional feature groups a model can be trained with (its meta.json lists them; older models: ``repeats`` only)."""


def sentence_features(tokens: list[str], use_lexicon: bool = True,
                      entities: dict[str, frozenset[str]] | None = None,
                      repeats: bool = False,
                      groups: frozenset[str] | set[str] | tuple[str, ...] = ()) -> list[dict[str, float | str]]:
    """One feature dict per token (python-crfsuite's ItemSequence input).

    ``entities``: the model's entity lexicon (string → labels seen in training); matches become ``ent:`` features.
    ``repeats``: mark runs that repeat earlier text (``rep:`` features) — same as ``"repeats"`` in ``groups``.
    ``groups``: optional groups from :data:`FEATURE_GROUPS`.
    """
    groups = set(groups) | ({"repeats"} if repeats else set())
    unknown = groups - set(FEATURE_GROUPS)
    if unknown:
        raise ValueError(f"unknown feature groups: {sorted(unknown)}")
    norm = [normalised_token(t) for t in tokens]
    shapes = [shape(t) for t in tokens]
    marks = lexicon_tags(tokens, division_lexicon()) if use_lexicon else [set() for _ in tokens]
    if entities:
        for i, extra in enumerate(lexicon_tags(tokens, entities)):
            marks[i] |= {f"ent{m}" for m in extra}
    n = len(tokens)
    reps = repeat_marks(tokens) if "repeats" in groups else [""] * n
    freps = forward_repeat_marks(tokens) if "forward_repeats" in groups else [""] * n
    dups = division_repeat_marks(tokens) if "division_repeats" in groups else [set() for _ in tokens]
    extras: list[list[dict[str, float]]] = []
    if "cues" in groups:
        extras.append(cue_features(tokens))
    if "segments" in groups and tokens:
        extras.append(segment_features(tokens))
    if "pos" in groups and tokens:
        extras.append(pos_features(tokens))
    if "digits" in groups:
        extras.append(digit_features(tokens))
    window = (-4, -3, -2, -1, 0, 1, 2, 3, 4) if "wide" in groups else (-3, -2, -1, 0, 1, 2, 3)

    def at(seq: list[str], i: int) -> str:
        return seq[i] if 0 <= i < n else ("<s>" if i < 0 else "</s>")

    features = []
    for i in range(n):
        f: dict[str, float | str] = {"bias": 1.0}
        for d in window:
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
        if "wide" in groups:
            f["w-1w1"] = at(norm, i - 1) + "_" + at(norm, i + 1)
            f["w2w3"] = at(norm, i + 2) + at(norm, i + 3)
            f["w-3w-2"] = at(norm, i - 3) + at(norm, i - 2)
        if i == 0:
            f["BOS"] = 1.0
        if i == n - 1:
            f["EOS"] = 1.0
        if reps[i]:
            f[f"rep:{reps[i]}"] = 1.0
            f[f"rep:{reps[i]}:{at(norm, i)}"] = 1.0
        if freps[i]:
            f[f"frep:{freps[i]}"] = 1.0
            f[f"frep:{freps[i]}:{at(norm, i)}"] = 1.0
        for mark in sorted(dups[i]):
            f[mark] = 1.0
        for mark in sorted(marks[i]):
            f[f"lex:{mark}"] = 1.0
        for extra in extras:
            f.update(extra[i])
        features.append(f)
    return features
