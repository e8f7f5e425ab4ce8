"""Text helpers for location understanding: ASR-style compaction with an offset map, numerals, pinyin keys.

Callers' words arrive as speech transcripts ("桂 城 街 道 海 五 路"), chat text, or form fields. Matching runs on a
*compact* form (no whitespace, full-width folded to half-width, control characters dropped) and every match is mapped
back to the caller's original characters so the raw span shown to the agent is exactly what was said.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

MAX_TEXT_CHARS = 5000
"""Longer input is cut (callers never describe a place in more; the rest is kept in the case's own text)."""

CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
             "七": "7", "八": "8", "九": "9", "幺": "1", "两": "2"}
DIGIT_CN = {digit: char for char, digit in CN_DIGITS.items() if char not in "〇幺两"}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def is_cjk(char: str) -> bool:
    """True for a CJK unified ideograph."""
    return bool(_CJK.match(char))


@dataclass(frozen=True, slots=True)
class CompactText:
    """``text`` without whitespace/control characters, and where each compact character came from."""

    original: str
    text: str
    offsets: tuple[int, ...]
    """``offsets[i]`` is the index in ``original`` of compact character ``i``."""

    def raw(self, start: int, end: int) -> str:
        """The caller's original characters behind compact span ``[start, end)``."""
        if start >= end:
            return ""
        return self.original[self.offsets[start]: self.offsets[end - 1] + 1]


def compact(text: str, limit: int = MAX_TEXT_CHARS) -> CompactText:
    """Fold width (NFKC per character), drop whitespace and control/format characters, keep an offset map."""
    text = (text or "")[:limit]
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            continue
        folded = unicodedata.normalize("NFKC", char)
        if len(folded) != 1:
            folded = char
        chars.append(folded)
        offsets.append(index)
    return CompactText(text, "".join(chars), tuple(offsets))


def digits_to_chinese(name: str) -> str:
    """海5路 → 海五路 (each digit separately; road ordinal names in the gazetteer are single digits)."""
    return "".join(DIGIT_CN.get(ch, ch) for ch in name)


def chinese_to_digits(name: str) -> str:
    """海五路 → 海5路."""
    return "".join(CN_DIGITS.get(ch, ch) if ch not in "两幺" else ch for ch in name)


# Near-homophones a recogniser (or a southern accent) confuses: flat/retroflex, n/l, f/h, front/back nasals.
_INITIAL_FOLD = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("h", "f"), ("r", "y"))
_FINAL_FOLD = (("ang", "an"), ("eng", "en"), ("ing", "in"), ("iong", "ong"))


@lru_cache(maxsize=65536)
def char_pinyin(char: str) -> str:
    """Toneless pinyin of one character ('' for non-Chinese characters)."""
    if not is_cjk(char):
        return ""
    return lazy_pinyin(char, style=Style.NORMAL, errors="ignore")[0] if char else ""


@lru_cache(maxsize=65536)
def char_readings(char: str) -> tuple[str, ...]:
    """All toneless readings of one character, the primary first (陆: lu, liu); () for non-Chinese."""
    if not is_cjk(char):
        return ()
    readings = [char_pinyin(char), *pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")[0]]
    return tuple(dict.fromkeys(r for r in readings if r))


@lru_cache(maxsize=65536)
def fold_syllable(syllable: str) -> str:
    """A coarse key for near-homophones: sh/s, zh/z, ch/c, n/l, h/f, -ng/-n are folded together."""
    for long, short in _INITIAL_FOLD:
        if syllable.startswith(long):
            syllable = short + syllable[len(long):]
            break
    for long, short in _FINAL_FOLD:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


def pinyin_key(text: str, fold: bool = False) -> tuple[str, ...]:
    """Per-character toneless pinyin of ``text`` (optionally folded); '' marks a non-Chinese character."""
    key = tuple(char_pinyin(ch) for ch in text)
    return tuple(fold_syllable(s) for s in key) if fold else key


def name_pinyin_key(name: str, fold: bool = False) -> tuple[str, ...]:
    """Pinyin of a gazetteer name, read in context (heteronyms resolved by pypinyin's phrase dictionary)."""
    key = tuple(lazy_pinyin(name, style=Style.NORMAL, errors=lambda chars: [""] * len(chars)))
    if len(key) != len(name):
        key = pinyin_key(name)
    return tuple(fold_syllable(s) for s in key) if fold else key


@lru_cache(maxsize=65536)
def folded_readings(char: str) -> tuple[str, ...]:
    """``char_readings`` with near-homophones folded (see ``fold_syllable``)."""
    return tuple(dict.fromkeys(fold_syllable(r) for r in char_readings(char)))
