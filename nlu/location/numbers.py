"""Spoken numbers in addresses: 三十二号 → 32, 幺三八 → 138, 2 0 5 → 205."""

from __future__ import annotations

import re

_DIGIT = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
          "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
NUMBER = r"(?:\d+|[零〇一幺二两三四五六七八九十百千]+)"
ROADNO = re.compile(rf"^(?:的)?(?P<num>{NUMBER})号")


def spoken_to_int(text: str) -> int | None:
    """Value of a spoken or written number; digit strings read digit by digit (幺三八 → 138); None if not a number."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(ch not in _DIGIT and ch not in _UNIT for ch in text):
        return None
    if not any(ch in _UNIT for ch in text):
        return int("".join(str(_DIGIT[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        else:
            total += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
    return total + (digit or 0)


def road_number_after(text: str, position: int) -> tuple[int, int] | None:
    """A 门牌号 right after a road name (``海五路32号``): (number, end position) or None."""
    match = ROADNO.match(text[position: position + 12])
    if not match:
        return None
    value = spoken_to_int(match.group("num"))
    return (value, position + match.end()) if value is not None and value > 0 else None
