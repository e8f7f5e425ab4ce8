"""Find place mentions in compact text: exact names (city gazetteer + national divisions), pinyin-aware fuzzy
repairs of recognition errors (海伍路 → 海五路), and unknown names by their suffix (文华路, 翠景小区).

Each finder is a small function ``(CompactText, Lexicon, covered) -> list[Mention]`` listed in ``FINDERS``; they run
in order and later finders only look at characters earlier ones left uncovered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice, product

from nlu.geodata.divisions import Division, Divisions
from nlu.location.gazetteer import Gazetteer, GazetteerEntry
from nlu.location.text import CompactText, char_readings, folded_readings, is_cjk

Target = GazetteerEntry | Division

# Short division names that are also everyday words; they count only in their full form (安康市, 光明区).
SHORT_FORM_STOPLIST = frozenset({
    "安康", "大同", "阿里", "长治", "吉安", "平安", "来宾", "光明", "白云", "新兴", "和平", "清新", "城中", "东方",
    "长安", "江南", "河东", "河西", "城东", "城西", "新城", "永和", "金平", "南山", "三明", "中山", "海南", "高明",
    "三水", "九江", "龙华", "福田", "开平", "恩平", "怀集", "连山", "连南", "新会", "大埔", "南雄", "仁化",
})
# A division's short form glued to one of these is part of another name (广州路, 佛山大道, 南海中学): not a division.
NAME_SUFFIX_CHARS = frozenset("路街道巷桥村湾园苑庄楼站馆院校场店厂城湖山河江桥坊围里")
STOP_CHARS = frozenset(
    "我你他她它的了在是有个这那条一到去从来和与跟及同就都也还又把被给对向往里上下前后边旁近附家们么什哪啥座栋号"
    "楼层米公马字说要想请问找看反映投诉举报帮忙麻烦发现出现因为所以但是如果已经现在今天昨天刚才一直好多很太"
)
UNKNOWN_NAME = re.compile(
    r"(?P<suffix>大道|大街|路|街(?!道)|巷|小区|花园|广场|大厦|市场|公园|医院|小学|中学|学校|新村|社区|村)"
)
MAX_READING_COMBOS = 16
UNKNOWN_KIND = {"大道": "road", "大街": "road", "路": "road", "街": "road", "巷": "road", "社区": "community",
                "村": "community", "新村": "community"}


@dataclass
class Mention:
    """A span of the compact text that names (or may name) a place."""

    start: int
    end: int
    text: str
    """The compact text of the span."""
    raw: str
    """The caller's original characters (with their spaces)."""
    targets: list[tuple[Target, str]] = field(default_factory=list)
    """What the span may mean, each with how it matched: name | alias | variant | pinyin | pinyin_folded."""
    source: str = "lexicon"
    """lexicon | pinyin | pattern | parser."""
    kind: str | None = None
    """For pattern/parser mentions without a target: road | poi | community | street."""

    @property
    def entries(self) -> list[GazetteerEntry]:
        return [t for t, _ in self.targets if isinstance(t, GazetteerEntry)]

    @property
    def divisions(self) -> list[Division]:
        return [t for t, _ in self.targets if isinstance(t, Division)]


class Lexicon:
    """Every surface form the matcher knows: the city gazetteer first, then the national divisions."""

    def __init__(self, gazetteer: Gazetteer, divisions: Divisions):
        self.gazetteer = gazetteer
        self.divisions = divisions
        forms: dict[str, list[tuple[Target, str]]] = {}
        for text, surfaces in gazetteer.surfaces.items():
            forms[text] = [(s.entry, s.how) for s in surfaces]
        home_streets = {e.code for e in gazetteer.entries if e.kind == "street"}
        home_province = gazetteer.jurisdiction.adcode[:2]
        for text, divs in divisions.surface_forms(home_province=home_province).items():
            if text in forms:
                continue  # the city's own meaning wins (九江 here is 九江镇, not 九江市)
            divs = [d for d in divs if d.code not in home_streets]
            short = all(d.name != text for d in divs)
            if divs and not (short and text in SHORT_FORM_STOPLIST):
                forms[text] = [(d, "name" if not short else "alias") for d in divs]
        district = divisions.get(gazetteer.jurisdiction.adcode)
        city = divisions.get(gazetteer.jurisdiction.adcode[:4])
        for alias, division in [(a, district) for a in gazetteer.district_aliases] + [
            (a, city) for a in gazetteer.city_aliases
        ]:
            if division is not None:
                forms.setdefault(alias, [(division, "alias")])
        self.forms = forms
        self.max_len = max(len(k) for k in forms)
        self.fuzzy_max_len = max((len(k) for k in gazetteer.surfaces), default=0)
        self.fuzzy_lengths = sorted({len(k) for k in gazetteer.pinyin}, reverse=True)
        self.first_syllables = frozenset(k[0] for k in gazetteer.pinyin) | frozenset(
            k[0] for k in gazetteer.pinyin_folded)


Finder = Callable[[CompactText, Lexicon, list[bool]], list[Mention]]


def _cover(covered: list[bool], start: int, end: int) -> None:
    for i in range(start, end):
        covered[i] = True


def find_exact(ctext: CompactText, lexicon: Lexicon, covered: list[bool]) -> list[Mention]:
    """Exact matches of gazetteer names, aliases and division names; longer matches win overlaps (河南海大道 →
    南海大道, not 河南), ties go to the leftmost."""
    text, n = ctext.text, len(ctext.text)
    candidates = []
    for i in range(n):
        for length in range(min(lexicon.max_len, n - i), 1, -1):
            targets = lexicon.forms.get(text[i: i + length])
            if targets and not _glued_division(text, i + length, targets):
                candidates.append((length, i, targets))
    mentions = []
    for length, i, targets in sorted(candidates, key=lambda c: (-c[0], c[1])):
        end = i + length
        if any(covered[i:end]):
            continue
        mentions.append(Mention(i, end, text[i:end], ctext.raw(i, end), list(targets), "lexicon"))
        _cover(covered, i, end)
    return mentions


def _glued_division(text: str, end: int, targets: list[tuple[Target, str]]) -> bool:
    """A division short form directly followed by a name suffix (广州路) is part of another name."""
    if end >= len(text) or text[end] not in NAME_SUFFIX_CHARS:
        return False
    return all(isinstance(t, Division) and how == "alias" for t, how in targets)


def find_pinyin(ctext: CompactText, lexicon: Lexicon, covered: list[bool]) -> list[Mention]:
    """Homophone repairs: uncovered windows whose pinyin (any reading of each character) equals a gazetteer
    name's, first exactly, then with near-homophones folded (sh/s, n/l, -ng/-n …)."""
    text, n = ctext.text, len(ctext.text)
    readings = [char_readings(ch) for ch in text]
    folded = [folded_readings(ch) for ch in text]
    mentions: list[Mention] = []
    i = 0
    first = lexicon.first_syllables
    while i < n:
        match = None
        if not any(r in first for r in readings[i]) and not any(r in first for r in folded[i]):
            i += 1
            continue
        for length in lexicon.fuzzy_lengths:
            if i + length > n or any(covered[i: i + length]) or not all(readings[i: i + length]):
                continue
            window = text[i: i + length]
            hits, how = _pinyin_hits(readings[i: i + length], folded[i: i + length], lexicon)
            hits = [h for h in hits if _shares_char(window, h.text)]
            if hits:
                match = (length, hits, how)
                break
        if match is None:
            i += 1
            continue
        length, hits, how = match
        end = i + length
        targets: list[tuple[Target, str]] = []
        for hit in hits:
            if all(hit.entry is not t for t, _ in targets):
                targets.append((hit.entry, how))
        mentions.append(Mention(i, end, text[i:end], ctext.raw(i, end), targets, "pinyin"))
        _cover(covered, i, end)
        i = end
    return mentions


def _pinyin_hits(readings: list[tuple[str, ...]], folded: list[tuple[str, ...]],
                 lexicon: Lexicon) -> tuple[list, str]:
    """Gazetteer surfaces whose pinyin matches some reading combination (at most ``MAX_READING_COMBOS``)."""
    for index, how, keys in ((lexicon.gazetteer.pinyin, "pinyin", readings),
                             (lexicon.gazetteer.pinyin_folded, "pinyin_folded", folded)):
        for key in islice(product(*keys), MAX_READING_COMBOS):
            hits = index.get(key)
            if hits:
                return hits, how
    return [], ""


def _shares_char(window: str, name: str) -> bool:
    """A repair must keep at least one character and differ somewhere (exact matches are not repairs)."""
    return window != name and any(a == b for a, b in zip(window, name))


def find_unknown_names(ctext: CompactText, lexicon: Lexicon, covered: list[bool]) -> list[Mention]:
    """Names the gazetteer lacks, recognised by their suffix (文华路, 翠景小区): 2–5 name characters before it."""
    text, mentions = ctext.text, []
    for match in UNKNOWN_NAME.finditer(text):
        start, end = match.start(), match.end()
        if any(covered[start:end]):
            continue
        begin = start
        while begin > 0 and start - begin < 5 and not covered[begin - 1] and is_cjk(text[begin - 1]) \
                and text[begin - 1] not in STOP_CHARS:
            begin -= 1
        if start - begin < 2 and not (start - begin == 1 and match.group("suffix") in {"路", "街"}
                                      and begin > 0 and text[begin - 1].isdigit()):
            continue
        kind = UNKNOWN_KIND.get(match.group("suffix"), "poi")
        mentions.append(Mention(begin, end, text[begin:end], ctext.raw(begin, end), [], "pattern", kind=kind))
        _cover(covered, begin, end)
    return mentions


FINDERS: tuple[Finder, ...] = (find_exact, find_pinyin, find_unknown_names)


OVERRIDE_CONTAINED: frozenset[Finder] = frozenset({find_pinyin})
"""Finders whose matches may swallow exact hits they fully contain (南海区仁民政府 → 南海区人民政府)."""


def _home(mention: Mention, lexicon: Lexicon) -> bool:
    """The mention names the home area (a gazetteer entry, or the home district or one of its ancestors)."""
    home = lexicon.gazetteer.jurisdiction.adcode
    return any(isinstance(t, GazetteerEntry) or home.startswith(t.code) or t.code.startswith(home)
               for t, _ in mention.targets)


def _foreign(mention: Mention, lexicon: Lexicon) -> bool:
    """Every meaning of the mention lies outside the home district (广西's 贵城街道 heard for 桂城街道)."""
    return bool(mention.targets) and not _home(mention, lexicon)


def find_mentions(ctext: CompactText, lexicon: Lexicon, finders: tuple[Finder, ...] = FINDERS,
                  extra: list[Mention] | None = None) -> list[Mention]:
    """Run every finder over the text; mentions come back in text order, non-overlapping.

    ``extra`` mentions (from the address parser) are added where no finder found anything.
    """
    covered = [False] * len(ctext.text)
    mentions: list[Mention] = []
    for finder in finders:
        if finder in OVERRIDE_CONTAINED:
            found = finder(ctext, lexicon, [False] * len(ctext.text))
            kept = []
            home_said = any(_home(m, lexicon) for m in mentions)
            for f in found:
                overlapping = [m for m in mentions if m.start < f.end and f.start < m.end]
                if all(f.start <= m.start and m.end <= f.end and (m.end - m.start < f.end - f.start
                                                                  or (home_said and _foreign(m, lexicon)))
                       for m in overlapping):
                    mentions = [m for m in mentions if m not in overlapping]
                    kept.append(f)
            found = kept
        else:
            found = finder(ctext, lexicon, covered)
        mentions += found
        for m in mentions:
            _cover(covered, m.start, m.end)
    for m in extra or ():
        if not any(covered[m.start: m.end]):
            mentions.append(m)
            _cover(covered, m.start, m.end)
    return sorted(mentions, key=lambda m: m.start)
