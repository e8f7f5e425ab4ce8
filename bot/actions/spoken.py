"""Understanding what callers say out loud: spoken digits, phone numbers, order numbers, corrections, choices.

Callers speak rather than type, and speech recognition writes numbers as words (幺三八…). These functions turn such
text into the values a work order needs. Pure functions, no Rasa: the product's tests call them directly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# One spoken or written character → one digit. 幺/拐/洞/勾 are the radio/telephone readings of 1/7/0/9.
SPOKEN_DIGITS: dict[str, str] = {
    "零": "0", "〇": "0", "○": "0", "洞": "0", "O": "0", "o": "0",
    "一": "1", "幺": "1", "么": "1", "壹": "1",
    "二": "2", "两": "2", "贰": "2",
    "三": "3", "叁": "3",
    "四": "4", "肆": "4",
    "五": "5", "伍": "5",
    "六": "6", "陆": "6",
    "七": "7", "拐": "7", "柒": "7",
    "八": "8", "捌": "8",
    "九": "9", "勾": "9", "玖": "9",
}
_SEPARATORS = set(" -－—_.·,，、")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}[2-9]\d{6,7}$")
LOCAL_RE = re.compile(r"^[2-9]\d{7}$")
"""An 8-digit local number (佛山 0757 numbers are dialled locally without the area code)."""


def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width) and control characters removed; never raises."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t").strip()


def spoken_to_digits(text: str) -> str:
    """Replace spoken digit words by digits, keep everything else: ``"幺三八"`` → ``"138"``."""
    return "".join(SPOKEN_DIGITS.get(ch, ch) for ch in normalize_text(text))


def digit_runs(text: str) -> list[str]:
    """Maximal runs of digits (spoken or written), separators inside a run ignored: ``"138 1234-5678"`` → one run."""
    runs: list[str] = []
    current = ""
    for ch in spoken_to_digits(text):
        if ch.isdigit():
            current += ch
        elif ch in _SEPARATORS and current:
            continue
        else:
            if current:
                runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def parse_phone(text: str) -> str | None:
    """The phone number in ``text`` (mobile, landline with area code, or 8-digit local), or ``None``.

    Accepts spoken digits (``幺三八 零零一三 八零零零``), separators, a ``+86``/``86`` prefix.
    """
    for run in digit_runs(text):
        candidate = run
        if candidate.startswith("86") and len(candidate) == 13:
            candidate = candidate[2:]
        if MOBILE_RE.match(candidate) or LANDLINE_RE.match(candidate) or LOCAL_RE.match(candidate):
            return candidate
    return None


def mask_phone(phone: str) -> str:
    """``13800138000`` → ``138****8000`` (for read-backs)."""
    if len(phone) >= 7:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return phone


ORDER_NUMBER_RE = re.compile(r"[A-Za-z]{0,6}-?\d{6,}(?:-\d{1,6})?")


def parse_order_number(text: str) -> str | None:
    """A work-order number in ``text`` (letters prefix optional, ≥ 6 digits, spoken digits accepted), or ``None``.

    A phone-shaped 11-digit mobile number is not taken for an order number.
    """
    compact = "".join(ch for ch in spoken_to_digits(text) if ch not in " ，,、")
    for match in ORDER_NUMBER_RE.finditer(compact):
        value = match.group(0).upper()
        if MOBILE_RE.match(value):
            continue
        return value
    return None


# --- corrections: "不对，是海五路不是海四路" -------------------------------------------------------------------

_CORRECTION_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"不是(?P<old>.+?)[，,、 ]*(?:而)?是(?P<new>.+)"),
    re.compile(r"是(?P<new>.+?)[，,、 ]*(?:而)?不是(?P<old>.+)"),
    re.compile(r"(?:改成|改为|换成|更正为|应该是|其实是|应该在|其实在|是在|在|是)(?P<new>.+)"),
)
_LEADING_NOISE = re.compile(r"^(?:不对|错了|说错了|搞错了|不好意思|抱歉|哦|噢|呃|嗯|啊|那个|我说错了|刚才)[，,。！!、 ]*")
_FIELD_WORDS = re.compile(r"^(?:地址|地点|位置|地方|电话号码|电话|手机号码|手机号|手机|号码|联系方式|时间|问题|情况|事情)(?:应该)?(?:是|在|为|改成|改为)?")
_TRAILING_NOISE = re.compile(r"(?:才对|才是对的|吧|啊|呀|的|哈|呢|了|。|！|!|，|,)+$")

FIELD_CUES: dict[str, tuple[str, ...]] = {
    "contact_phone": ("电话", "手机", "号码", "联系方式"),
    "problem_since": ("时间", "什么时候", "开始", "天前", "昨天", "今天", "前天", "上周", "上个月", "早上", "晚上", "点钟"),
    "problem_location": ("地址", "地点", "位置", "地方", "路", "街", "村", "小区", "花园", "公园", "广场", "大厦",
                         "社区", "旁边", "附近", "门口", "对面", "交界", "路口", "桥", "号"),
    "problem_description": ("问题", "情况", "事情", "内容"),
}
"""Words that tell which slot a correction is about, checked in this order."""


@dataclass(frozen=True)
class Correction:
    """What a correction changes: the slot (or ``None`` when unclear) and the new value."""

    slot: str | None
    value: str


def _clean_value(value: str) -> str:
    value = _FIELD_WORDS.sub("", value.strip(" ，,。"))
    return _TRAILING_NOISE.sub("", value).strip(" ，,。")


def parse_correction(text: str) -> Correction | None:
    """Read a correction: ``"不对，是海五路不是海四路"`` → ``Correction("problem_location", "海五路")``."""
    body = _LEADING_NOISE.sub("", normalize_text(text))
    while True:  # several noise words may lead: "不对不对，…"
        stripped = _LEADING_NOISE.sub("", body)
        if stripped == body:
            break
        body = stripped
    if not body:
        return None
    new = None
    for pattern in _CORRECTION_PATTERNS:
        match = pattern.search(body)
        if match and _clean_value(match.group("new")):
            new = _clean_value(match.group("new"))
            break
    if new is None:
        new = _clean_value(body)
    if not new:
        return None
    phone = parse_phone(new)
    if phone:
        return Correction("contact_phone", phone)
    for slot, cues in FIELD_CUES.items():
        if any(cue in body for cue in cues):
            return Correction(slot, new)
    return Correction(None, new)


# --- choosing among offered candidates: "第二个" / "2" / "海五路那个" ---------------------------------------------

_ORDINALS: dict[str, int] = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_ORDINAL_RE = re.compile(r"第?\s*([一二两三四五1-5])\s*(?:个|项|条|号)?")


def choose_candidate(text: str, candidates: list[str]) -> int | None:
    """Index of the candidate the caller picked (by ordinal or by naming it), or ``None``."""
    body = normalize_text(text)
    if not body or not candidates:
        return None
    for index, name in enumerate(candidates):  # naming wins: "海五路那个"
        if name and (name in body or body in name) and len(body) >= 2:
            return index
    match = _ORDINAL_RE.fullmatch(body.strip("。.！! 吧啊的")) or re.search(r"第\s*([一二两三四五1-5])", body)
    if match:
        index = _ORDINALS[match.group(1)] - 1
        if 0 <= index < len(candidates):
            return index
    if "最后" in body:
        return len(candidates) - 1
    return None
