"""Chinese clean-up of recogniser output: join words, inverse text normalisation (ITN), optional punctuation.

Vosk writes Chinese as space-separated words (``我 要 反映 幺 三 八``). An agent wants ``我要反映138…``. This module:

* ``join_words`` — removes the spaces next to CJK characters (keeps those between Latin words: ``wifi 坏了``);
* ``inverse_normalize`` — spoken numbers to digits *where they are numbers*: digit strings read one by one
  (phone numbers ``幺三八…``, years ``二零二四年``), numbers before an address or date unit (``三十二号``, ``五号楼``,
  ``十一月二十号``), clock times (``下午三点半`` → ``下午3:30``). Words that merely contain a numeral (``一下``,
  ``一点`` meaning "a little", ``停水两天``) are left alone;
* ``punctuate`` — a comma at long pauses between words (from Vosk's word times) and a full stop or question mark
  at the end of an utterance.

The raw text is always kept next to the cleaned one (see ``speech.recognizer.Utterance``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")

DIGIT_VALUES: dict[str, int] = {
    "零": 0, "〇": 0, "洞": 0, "幺": 1, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
UNIT_VALUES: dict[str, int] = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS: dict[str, int] = {"万": 10_000, "亿": 100_000_000}
_DIGIT = "零〇洞幺一二两三四五六七八九"
_NUM = f"[{_DIGIT}十百千万亿]+"

ADDRESS_UNITS = "号栋幢座楼层室单元弄巷期区街组村"
COUNT_UNITS = "米公里元块岁次户人辆棵盏年月天周个小时分钟秒度"
TIME_WORDS = "早上|上午|中午|下午|晚上|凌晨|夜里|半夜|今天|明天|昨天|今晚|早|晚"
QUESTION_ENDINGS = ("吗", "呢", "么", "吧", "什么时候", "怎么办", "怎么回事", "多久", "为什么", "谁管", "哪里")


def join_words(text: str) -> str:
    """Remove recogniser spaces next to Chinese characters and squeeze the rest."""
    return re.sub(r"\s{2,}", " ", _SPACE_NEXT_TO_CJK.sub("", text)).strip()


def parse_number(numeral: str) -> int | None:
    """Value of a Chinese numeral (``三十二`` → 32, ``一百零五`` → 105, ``十一`` → 11, ``两万三千`` → 23000).

    Returns None for text that is not a well-formed numeral.
    """
    if not numeral:
        return None
    total, section, digit = 0, 0, None
    for char in numeral:
        if char in DIGIT_VALUES:
            if digit is not None and digit != 0 and DIGIT_VALUES[char] != 0:
                return None  # two digits in a row without a unit: not a value numeral
            digit = DIGIT_VALUES[char]
        elif char in UNIT_VALUES:
            section += (1 if digit is None else digit) * UNIT_VALUES[char]
            digit = None
        elif char in BIG_UNITS:
            section += digit or 0
            total += (section or 1) * BIG_UNITS[char]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _digits(numeral: str) -> str:
    return "".join(str(DIGIT_VALUES[c]) for c in numeral)


def _value(numeral: str) -> str | None:
    value = parse_number(numeral)
    return None if value is None else str(value)


def _digit_strings(text: str) -> str:
    """Three or more digits read one by one (phone numbers, house numbers, years) → Arabic digits."""
    return re.sub(f"[{_DIGIT}]{{3,}}", lambda m: _digits(m.group()), text)


def _clock_times(text: str) -> str:
    """``下午三点半`` → ``下午3:30``, ``三点十五分`` → ``3:15``, ``晚上十点`` → ``晚上10点``."""

    def minutes(m: re.Match[str]) -> str:
        hour, minute = parse_number(m.group("h")), m.group("m")
        if hour is None or hour > 24:
            return m.group()
        if minute == "半":
            return f"{m.group('pre') or ''}{hour}:30"
        if minute == "一刻":
            return f"{m.group('pre') or ''}{hour}:15"
        if minute == "三刻":
            return f"{m.group('pre') or ''}{hour}:45"
        value = parse_number(minute[:-1] if minute.endswith("分") else minute)
        if value is None or value > 59:
            return m.group()
        return f"{m.group('pre') or ''}{hour}:{value:02d}"

    text = re.sub(
        rf"(?P<pre>{TIME_WORDS})?(?P<h>{_NUM})点(?P<m>半|一刻|三刻|{_NUM}分|(?:零)?{_NUM}(?=[^{_DIGIT}十]|$))",
        minutes,
        text,
    )

    def hour_only(m: re.Match[str]) -> str:
        hour = parse_number(m.group("h"))
        return m.group() if hour is None or hour > 24 else f"{m.group('pre')}{hour}点{m.group('post') or ''}"

    return re.sub(rf"(?P<pre>{TIME_WORDS})(?P<h>{_NUM})点(?P<post>钟)?", hour_only, text)


def _dates(text: str) -> str:
    """``十一月二十号`` → ``11月20号``; ``三月五日`` → ``3月5日``."""

    def date(m: re.Match[str]) -> str:
        month, day = parse_number(m.group("mo")), parse_number(m.group("d"))
        if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
            return m.group()
        return f"{month}月{day}{m.group('u')}"

    return re.sub(rf"(?P<mo>{_NUM})月(?P<d>{_NUM})(?P<u>[日号])", date, text)


def _numbers_with_units(text: str) -> str:
    """Value numerals before an address unit (``三十二号`` → ``32号``) or with a unit char before a count unit."""

    def address(m: re.Match[str]) -> str:
        value = _value(m.group("n"))
        return m.group() if value is None else f"{m.group('pre') or ''}{value}{m.group('u')}"

    text = re.sub(rf"(?P<pre>第)?(?P<n>{_NUM})(?P<u>[{ADDRESS_UNITS}])", address, text)

    def counted(m: re.Match[str]) -> str:
        numeral = m.group("n")
        if not any(c in numeral for c in "十百千万亿"):
            return m.group()
        value = _value(numeral)
        return m.group() if value is None else f"{value}{m.group('u')}"

    return re.sub(rf"(?P<n>{_NUM})(?P<u>{'|'.join(sorted(COUNT_UNITS, key=len, reverse=True))})", counted, text)


ITN_RULES = (_digit_strings, _clock_times, _dates, _numbers_with_units)
"""Applied in this order: digit strings first, so that ``二零二四年`` is a year before any other rule sees it."""


def inverse_normalize(text: str) -> str:
    """Spoken numbers to digits where they are numbers (see module doc); other text is unchanged."""
    for rule in ITN_RULES:
        text = rule(text)
    return text


def punctuate(words: Sequence[tuple[str, float, float]], pause_s: float = 0.35) -> str:
    """Join ``(word, start, end)`` triples with a comma at pauses ≥ ``pause_s`` and close the sentence."""
    parts: list[str] = []
    previous_end: float | None = None
    for word, start, end in words:
        if previous_end is not None and start - previous_end >= pause_s and parts:
            parts.append("，")
        parts.append(word)
        previous_end = end
    return close_sentence(join_words(" ".join(parts)))


def close_sentence(text: str) -> str:
    """Add ``。`` or ``？`` at the end of a non-empty sentence that has no final punctuation."""
    text = text.rstrip("，, ")
    if not text or text[-1] in "。？！?!.":
        return text
    return text + ("？" if text.endswith(QUESTION_ENDINGS) else "。")
