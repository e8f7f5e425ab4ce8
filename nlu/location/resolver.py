"""From mentions to places: choose what the caller meant, fill in implied levels, check jurisdiction and consistency,
attach coordinates and the grid cell, and say when an agent must look.

``LocationResolver.resolve(text, hint)`` returns a ``Resolution``: the best ``Place`` (or None), ranked candidates, and
review reasons in Chinese. Hypotheses are built by small builders in ``HYPOTHESIS_BUILDERS`` (intersection, local
entries, unknown names, administrative divisions), ranked by specificity and evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from shapely.geometry import LineString, Point
from shapely.ops import nearest_points

from hotline.case import Place
from nlu.geodata.divisions import Division, Divisions
from nlu.location.gazetteer import KIND_LABELS, Gazetteer, GazetteerEntry
from nlu.location.matcher import Lexicon, Mention, find_mentions
from nlu.location.numbers import road_number_after
from nlu.location.text import compact

HOW_CONFIDENCE = {"name": 0.95, "alias": 0.92, "variant": 0.9, "pinyin": 0.8, "pinyin_folded": 0.7, "parser": 0.55,
                  "pattern": 0.5}
HOW_LABELS = {"pinyin": "按读音纠正", "pinyin_folded": "按近音纠正"}
LEVEL_FACTOR = {"intersection": 1.0, "poi": 1.0, "road": 1.0, "community": 0.9, "street": 0.6, "district": 0.4,
                "city": 0.3, "province": 0.2}
SPECIFICITY = {"intersection": 6, "poi": 5, "road": 5, "community": 4, "street": 2, "district": 1, "city": 0,
               "province": 0}
INTERSECTION_GAP = re.compile(r"^(?:和|与|跟|同|及|、|/|交|跟那个|和那个|河|合|禾|于|雨|语|根)?$")
INTERSECTION_AFTER = re.compile(r"^(?:的)?(?:交界|交叉|交汇|交接|路口|十字路口|丁字路口|交口|交界处|路段交界)")
RELATION = re.compile(r"^(?:的)?(附近|旁边|旁|对面|门口|周边|边上|隔壁|后面|前面|里面|东侧|西侧|南侧|北侧|出口|入口|"
                      r"东门|西门|南门|北门|正门|一带|那边|这边)")
NEARBY_METRES = 400.0
METRES_PER_DEGREE = 111_320.0


class GridLocator(Protocol):
    """Point → grid cell (see ``nlu.location.grids``)."""

    def locate(self, lon: float, lat: float) -> GridHit | None: ...


class GridHit(Protocol):
    cell_id: str
    community: str | None
    street: str | None
    zone: str | None


@dataclass
class Hypothesis:
    """One reading of where the caller means."""

    level: str
    entry: GazetteerEntry | None = None
    second: GazetteerEntry | None = None
    """The crossing road of an intersection."""
    division: Division | None = None
    unknown: Mention | None = None
    mentions: list[Mention] = field(default_factory=list)
    how: str = "name"
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    relation: str | None = None
    roadno: int | None = None
    roadno_end: int | None = None
    conflicts: list[str] = field(default_factory=list)


MAX_MENTIONS = 100
"""Place mentions analysed per text: more is not a call but a paste or an attack; the rest are ignored (and the case
goes to review) so that the hypothesis builders, quadratic in mentions, stay fast."""
MAX_CHAIN = 12
"""Longest run of adjacent mentions taken as one spoken address."""

NO_PLACE_REASON = "未识别到事发地点，请向市民确认具体位置"
"""Review reason when the text names no place (the bot then asks for one)."""


@dataclass
class Resolution:
    """What the resolver understood."""

    place: Place | None
    candidates: list[Place]
    review: list[str]
    mentions: list[Mention]


@dataclass
class _Context:
    """Administrative levels the caller said explicitly."""

    streets: list[tuple[GazetteerEntry, Mention]]
    divisions: list[tuple[Division, Mention]]


Builder = Callable[["LocationResolver", list[Mention], _Context, str], list[Hypothesis]]


def _distance_m(a: Point, b: Point) -> float:
    dx = (a.x - b.x) * math.cos(math.radians((a.y + b.y) / 2))
    return math.hypot(dx, a.y - b.y) * METRES_PER_DEGREE


class LocationResolver:
    """Resolve free text to a normalised, placed location against one city's gazetteer and the national divisions."""

    def __init__(self, gazetteer: Gazetteer, divisions: Divisions, grids: GridLocator | None = None,
                 review_below: float = 0.6, mention_finders: list[Callable[[str], list[Mention]]] | None = None):
        self.gazetteer = gazetteer
        self.divisions = divisions
        self.lexicon = Lexicon(gazetteer, divisions)
        self.grids = grids
        self.review_below = review_below
        self.extra_finders = mention_finders or []
        j = gazetteer.jurisdiction
        self.home_lineage = divisions.lineage(j.adcode)

    # ------------------------------------------------------------------ public API
    def resolve(self, text: str, hint: str | None = None) -> Resolution:
        """Understand the location in ``text`` (``hint``, a separately typed address, is tried first)."""
        if hint and hint.strip():
            hinted = self._resolve_text(hint)
            if hinted.place is not None and hinted.place.confidence >= self.review_below:
                hinted.place.reasons.insert(0, "采用市民单独填写的地址")
                extra = self._resolve_text(text)
                seen = {hinted.place.normalized}
                from_text = []
                for cand in ([extra.place] if extra.place else []) + extra.candidates:
                    if cand.normalized not in seen:
                        from_text.append(cand)
                        seen.add(cand.normalized)
                # what the caller said comes before the hinted landmark's nearby roads
                hinted.candidates = from_text + [c for c in hinted.candidates if c.normalized not in seen]
                return hinted
            resolution = self._resolve_text(text)
            resolution.review.append("单独填写的地址无法识别，已改用正文中的地点")
            return resolution
        return self._resolve_text(text)

    # ------------------------------------------------------------------ steps
    def _resolve_text(self, text: str) -> Resolution:
        ctext = compact(text)
        if not ctext.text:
            return Resolution(None, [], [NO_PLACE_REASON], [])
        extra = []
        for finder in self.extra_finders:
            for m in finder(ctext.text):
                m.raw = ctext.raw(m.start, m.end)
                extra.append(m)
        mentions = find_mentions(ctext, self.lexicon, extra=extra)
        too_many = len(mentions) > MAX_MENTIONS
        if too_many:
            mentions = mentions[:MAX_MENTIONS]
        context = self._context(mentions)
        hypotheses: list[Hypothesis] = []
        for builder in HYPOTHESIS_BUILDERS:
            hypotheses.extend(builder(self, mentions, context, ctext.text))
        if not hypotheses:
            return Resolution(None, [], [NO_PLACE_REASON], mentions)
        hypotheses.sort(key=lambda h: (-SPECIFICITY[h.level], -h.confidence, h.mentions[0].start if h.mentions else 0))
        best = hypotheses[0]
        review = list(best.conflicts)
        if too_many:
            review.append(f"文中地点过多，只分析了前{MAX_MENTIONS}处，请核实事发地点")
        rivals = [h for h in hypotheses[1:] if SPECIFICITY[h.level] == SPECIFICITY[best.level]
                  and h.mentions and best.mentions and h.mentions[0].start == best.mentions[0].start]
        if rivals:
            share = 1.0 / (1 + len(rivals))
            names = "、".join(self._where(h) for h in [best, *rivals])
            review.append(f"地点「{best.mentions[0].raw}」有{1 + len(rivals)}个可能（{names}），请确认")
            for h in [best, *rivals]:
                h.confidence = round(h.confidence * max(share, 0.5) * 0.9, 3)
        place = self._place(best, ctext.raw)
        others = [self._place(h, ctext.raw) for h in hypotheses[1:] if SPECIFICITY[h.level] >= 2 or
                  not place.in_jurisdiction]
        others += self._nearby(best)
        candidates = _dedupe([place, *others])[1:6]
        if not place.in_jurisdiction:
            j = self.gazetteer.jurisdiction
            review.append(f"地点不在本辖区（{j.city}{j.district}）：{place.normalized}，请核实是否转办")
        elif place.confidence < self.review_below and not rivals:
            review.append(self._low_confidence_reason(best, place))
        return Resolution(place, candidates, _unique(review), mentions)

    def _context(self, mentions: list[Mention]) -> _Context:
        streets, divisions = [], []
        for m in mentions:
            for target, _ in m.targets:
                if isinstance(target, GazetteerEntry) and target.kind == "street":
                    streets.append((target, m))
                elif isinstance(target, Division):
                    divisions.append((target, m))
        return _Context(streets, divisions)

    def _where(self, h: Hypothesis) -> str:
        if h.entry is not None:
            return h.entry.street or h.entry.name
        if h.division is not None:
            lineage = self.divisions.lineage(h.division.code)
            return "".join(lineage[k].name for k in ("city", "district") if k in lineage) or h.division.name
        return h.unknown.text if h.unknown else "?"

    def _low_confidence_reason(self, h: Hypothesis, place: Place) -> str:
        if h.unknown is not None:
            return f"「{h.unknown.raw}」不在本市地名库中，请核实具体位置"
        if h.level in {"street", "district", "city", "province"}:
            return f"只定位到{place.normalized}，缺少具体道路或地标，请向市民确认"
        return f"地点识别把握不大（{place.confidence:.2f}），请核实"

    # ------------------------------------------------------------------ consistency
    def check_entry(self, entry: GazetteerEntry, context: _Context) -> tuple[float, list[str], list[str]]:
        """How the caller's explicit levels agree with an entry: (factor, reasons, conflicts)."""
        factor, reasons, conflicts = 1.0, [], []
        for street, mention in context.streets:
            if street is entry:
                continue
            if entry.street and street.name == entry.street:
                factor = min(1.05, factor * 1.05)
                reasons.append(f"与所说的「{mention.raw}」一致")
            elif entry.street:
                factor *= 0.6
                conflicts.append(f"地址层级矛盾：「{mention.raw}」与{entry.label()}所在的{entry.street}不符，请核实")
        j = self.gazetteer.jurisdiction
        for division, mention in context.divisions:
            if not self._consistent_with_home(division):
                factor *= 0.6
                conflicts.append(f"地址层级矛盾：「{mention.raw}」与{entry.label()}（{j.city}{j.district}）不符，请核实")
        return factor, reasons, conflicts

    def _consistent_with_home(self, division: Division) -> bool:
        """True when the division is the home district, one of its ancestors, or inside it."""
        home = self.gazetteer.jurisdiction.adcode
        return home.startswith(division.code) or division.code.startswith(home)

    # ------------------------------------------------------------------ Place assembly
    def _place(self, h: Hypothesis, raw_of: Callable[[int, int], str]) -> Place:
        start = min(m.start for m in h.mentions) if h.mentions else 0
        end = max(m.end for m in h.mentions) if h.mentions else 0
        if h.roadno_end:
            end = max(end, h.roadno_end)
        raw = raw_of(start, end)
        if h.entry is not None:
            return self._entry_place(h, raw)
        if h.division is not None:
            return self._division_place(h, raw)
        return self._unknown_place(h, raw)

    def _entry_place(self, h: Hypothesis, raw: str) -> Place:
        entry = h.entry
        assert entry is not None
        j = self.gazetteer.jurisdiction
        road = entry.name if entry.kind == "road" else None
        poi = entry.name if entry.kind == "poi" else None
        geometry = entry.geometry
        local = entry.name if entry.kind != "street" else ""
        if h.level == "intersection" and h.second is not None:
            local = f"{entry.name}与{h.second.name}交叉口"
            poi = local
            geometry = _crossing(entry, h.second)
        elif h.roadno:
            local = f"{entry.name}{h.roadno}号"
        community = entry.community
        point = geometry if isinstance(geometry, Point) else (entry.point if geometry is not None else None)
        grid = None
        reasons = list(h.reasons)
        if point is not None and self.grids is not None and entry.kind != "street":
            hit = self.grids.locate(point.x, point.y)
            if hit is not None:
                grid = hit.cell_id
                if entry.kind == "road" and h.level != "intersection":
                    reasons.append("道路跨多个网格，取道路中点所在网格")
                if community is None and hit.community:
                    community = hit.community
                    reasons.append(f"按网格归属社区：{hit.community}")
        street = entry.street
        normalized = f"{j.province}{j.city}{j.district}{street or ''}{local}"
        if h.relation:
            reasons.append(f"位置关系：{h.relation}")
        if entry.demo:
            reasons.append("坐标为演示数据（近似）")
        return Place(raw=raw, normalized=normalized, province=j.province, city=j.city, district=j.district,
                     street=street, community=community, road=road, poi=poi,
                     adcode=entry.code or self.gazetteer.street_code(street) or j.adcode, grid=grid,
                     lon=round(point.x, 6) if point is not None else None,
                     lat=round(point.y, 6) if point is not None else None,
                     confidence=round(min(h.confidence, 0.99), 3), reasons=reasons, in_jurisdiction=True)

    def _division_place(self, h: Hypothesis, raw: str) -> Place:
        division = h.division
        assert division is not None
        lineage = self.divisions.lineage(division.code)
        names = {level: d.name for level, d in lineage.items()}
        local = h.unknown.text if h.unknown is not None else ""
        if local and h.roadno:
            local = f"{local}{h.roadno}号"
        normalized = "".join(names[k] for k in ("province", "city", "district", "street") if k in names
                             and not (k == "city" and names.get("province") == names[k])) + local
        inside = division.code.startswith(self.gazetteer.jurisdiction.adcode)
        outside = not self._consistent_with_home(division)
        return Place(raw=raw, normalized=normalized, province=names.get("province"), city=names.get("city"),
                     district=names.get("district"), street=names.get("street"),
                     road=h.unknown.text if h.unknown is not None and h.unknown.kind == "road" else None,
                     poi=h.unknown.text if h.unknown is not None and h.unknown.kind == "poi" else None,
                     adcode=division.code if len(division.code) in (6, 9) else None,
                     confidence=round(h.confidence, 3), reasons=list(h.reasons),
                     in_jurisdiction=inside or not outside)

    def _unknown_place(self, h: Hypothesis, raw: str) -> Place:
        j = self.gazetteer.jurisdiction
        unknown = h.unknown
        assert unknown is not None
        local = f"{unknown.text}{h.roadno}号" if h.roadno else unknown.text
        return Place(raw=raw, normalized=f"{j.province}{j.city}{j.district}{local}", province=j.province,
                     city=j.city, district=j.district,
                     road=unknown.text if unknown.kind == "road" else None,
                     poi=unknown.text if unknown.kind in {"poi", "community"} else None, adcode=j.adcode,
                     confidence=round(h.confidence, 3), reasons=list(h.reasons), in_jurisdiction=True)

    def _roads_near(self, poi: GazetteerEntry) -> list[tuple[float, GazetteerEntry, Point]]:
        """The three nearest roads within ``NEARBY_METRES`` of a landmark (cached per landmark)."""
        cache = self.__dict__.setdefault("_near_cache", {})
        if id(poi) not in cache:
            origin, scored = poi.point, []
            for entry in self.gazetteer.entries:
                if entry.kind != "road" or entry.geometry is None:
                    continue
                near, _ = nearest_points(entry.geometry, origin)
                metres = _distance_m(near, origin)
                if metres <= NEARBY_METRES:
                    scored.append((metres, entry, near))
            cache[id(poi)] = sorted(scored, key=lambda s: s[0])[:3]
        return cache[id(poi)]

    def _nearby(self, best: Hypothesis) -> list[Place]:
        """Only a landmark (千灯湖公园旁边): the roads within a few hundred metres, nearest first."""
        if best.level != "poi" or best.entry is None or best.entry.point is None:
            return []
        places = []
        for metres, entry, near in self._roads_near(best.entry):
            h = Hypothesis(level="road", entry=entry, how="name",
                           confidence=round(0.5 * best.confidence, 3),
                           reasons=[f"距{best.entry.name}约{int(round(metres, -1))}米"])
            place = self._entry_place(h, "")
            place.lon, place.lat = round(near.x, 6), round(near.y, 6)
            places.append(place)
        return places


# ---------------------------------------------------------------------- hypothesis builders
def _relation_after(text: str, end: int) -> tuple[str | None, int]:
    match = RELATION.match(text[end: end + 6])
    return (match.group(1), end + match.end()) if match else (None, end)


def _context_mentions(resolver: LocationResolver, context: _Context, entry: GazetteerEntry) -> list[Mention]:
    """Mentions of the levels above an entry that agree with it (for the raw span)."""
    out = [m for s, m in context.streets if s.name == entry.street and s is not entry]
    out += [m for d, m in context.divisions if resolver._consistent_with_home(d)]
    return out


def _adjacent(mentions: list[Mention], core: list[Mention]) -> list[Mention]:
    """The core mentions plus context mentions that touch them (the caller's contiguous phrase), at most
    ``MAX_CHAIN`` mentions (a spoken address has a handful of levels; this bounds the work on repetitive text)."""
    chain = sorted(core, key=lambda m: m.start)
    changed = True
    while changed and len(chain) < MAX_CHAIN:
        changed = False
        for m in mentions:
            if m in chain:
                continue
            if abs(m.end - chain[0].start) <= 1 or abs(chain[-1].end - m.start) <= 1:
                chain.append(m)
                chain.sort(key=lambda x: x.start)
                changed = True
                if len(chain) >= MAX_CHAIN:
                    break
    return chain


def build_intersections(resolver: LocationResolver, mentions: list[Mention], context: _Context,
                        text: str) -> list[Hypothesis]:
    """Two roads joined by 和/与 and followed by 交界/路口 (or glued: 桂澜路南海大道路口)."""
    roads = [m for m in mentions if any(e.kind == "road" for e in m.entries)]
    out: list[Hypothesis] = []
    for first, second in zip(roads, roads[1:]):
        gap = text[first.end: second.start]
        if not INTERSECTION_GAP.match(gap):
            continue
        after = INTERSECTION_AFTER.match(text[second.end: second.end + 6])
        if not after and gap != "交":
            continue
        a = [e for e in first.entries if e.kind == "road"]
        b = [e for e in second.entries if e.kind == "road"]
        pairs = sorted(((x, y) for x in a for y in b), key=lambda p: _gap_m(p[0], p[1]))
        if not pairs:
            continue
        x, y = pairs[0]
        how = _weakest(first, x, second, y)
        factor, reasons, conflicts = resolver.check_entry(x, context)
        reasons = [f"识别到路口：{x.name}与{y.name}", *_repair_reasons(first, x), *_repair_reasons(second, y),
                   *reasons]
        if _gap_m(x, y) > 50:
            reasons.append(f"两条路在地名库中不相交（相距约{int(_gap_m(x, y))}米），取最近点")
            factor *= 0.8
        used = _adjacent(mentions, [first, second] + _context_mentions(resolver, context, x))
        end_mention = Mention(second.end, second.end + after.end() if after else second.end, "", "")
        out.append(Hypothesis(level="intersection", entry=x, second=y, mentions=used + [end_mention], how=how,
                              confidence=HOW_CONFIDENCE[how] * factor, reasons=reasons, conflicts=conflicts))
    return out


def _gap_m(a: GazetteerEntry, b: GazetteerEntry) -> float:
    if a.geometry is None or b.geometry is None:
        return math.inf
    p, q = nearest_points(a.geometry, b.geometry)
    return _distance_m(p, q)


def _crossing(a: GazetteerEntry, b: GazetteerEntry) -> Point | None:
    if a.geometry is None or b.geometry is None:
        return None
    inter = a.geometry.intersection(b.geometry)
    if not inter.is_empty:
        return inter if isinstance(inter, Point) else inter.representative_point()
    p, q = nearest_points(a.geometry, b.geometry)
    return LineString([p, q]).interpolate(0.5, normalized=True)


def _how(mention: Mention, entry: GazetteerEntry) -> str:
    return next((how for t, how in mention.targets if t is entry), "name")


def _weakest(m1: Mention, e1: GazetteerEntry, m2: Mention, e2: GazetteerEntry) -> str:
    h1, h2 = _how(m1, e1), _how(m2, e2)
    return h1 if HOW_CONFIDENCE[h1] <= HOW_CONFIDENCE[h2] else h2


def _repair_reasons(mention: Mention, entry: GazetteerEntry) -> list[str]:
    how = _how(mention, entry)
    if how in HOW_LABELS:
        return [f"{HOW_LABELS[how]}：{mention.raw}→{entry.name}"]
    if how in {"alias", "variant"} and mention.text != entry.name:
        return [f"别名：{mention.text}→{entry.name}"]
    return []


def build_local(resolver: LocationResolver, mentions: list[Mention], context: _Context,
                text: str) -> list[Hypothesis]:
    """Roads, landmarks and communities of the city gazetteer; one hypothesis per possible entry."""
    out: list[Hypothesis] = []
    for m in mentions:
        entries = [e for e in m.entries if e.kind in {"road", "poi", "community"}]
        if not entries:
            continue
        scored = []
        for entry in entries:
            factor, reasons, conflicts = resolver.check_entry(entry, context)
            scored.append((factor, entry, reasons, conflicts))
        best_factor = max(s[0] for s in scored)
        if len(scored) > 1 and best_factor > 1.0:
            scored = [s for s in scored if s[0] >= best_factor]  # the caller's street picks among same-named places
        for factor, entry, reasons, conflicts in scored:
            how = _how(m, entry)
            relation, relation_end = _relation_after(text, m.end)
            roadno = road_number_after(text, m.end) if entry.kind == "road" else None
            h = Hypothesis(level=entry.kind, entry=entry, how=how,
                           confidence=HOW_CONFIDENCE[how] * LEVEL_FACTOR[entry.kind] * factor,
                           reasons=[f"识别到{entry.label()}", *_repair_reasons(m, entry), *reasons],
                           relation=relation, conflicts=conflicts)
            if entry.street and not any(s.name == entry.street for s, _ in context.streets):
                h.reasons.append(f"由地名库补全上级：{resolver.gazetteer.jurisdiction.city}"
                                 f"{resolver.gazetteer.jurisdiction.district}{entry.street}")
            if roadno:
                h.roadno, h.roadno_end = roadno
            core = [m] + _context_mentions(resolver, context, entry)
            h.mentions = _adjacent([x for x in mentions if x in core], core)
            if relation:
                h.mentions.append(Mention(m.end, relation_end, relation, relation))
            out.append(h)
    return out


def build_unknown(resolver: LocationResolver, mentions: list[Mention], context: _Context,
                  text: str) -> list[Hypothesis]:
    """Names the gazetteer lacks (文华路): kept under the caller's explicit street or division, low confidence."""
    out: list[Hypothesis] = []
    division = _best_division(resolver, context)
    for m in mentions:
        if m.targets or m.kind not in LEVEL_FACTOR:
            continue
        how = "parser" if m.source == "parser" else "pattern"
        h = Hypothesis(level=m.kind, unknown=m, how=how, confidence=HOW_CONFIDENCE[how],
                       reasons=[f"「{m.raw}」像是{KIND_LABELS.get(m.kind, '地点')}名称，但不在本市地名库中"])
        roadno = road_number_after(text, m.end) if m.kind == "road" else None
        if roadno:
            h.roadno, h.roadno_end = roadno
        core = [m]
        if context.streets and context.streets[0][0].code:
            street, street_mention = context.streets[0]
            h.division = resolver.divisions.get(street.code or "")
            core.append(street_mention)
        elif division is not None:
            h.division = division[0]
            core += division[1]
        h.mentions = _adjacent(mentions, core)
        out.append(h)
    return out


def build_admin(resolver: LocationResolver, mentions: list[Mention], context: _Context,
                text: str) -> list[Hypothesis]:
    """Only administrative levels were said (桂城街道 / 广州市天河区): the most specific consistent one."""
    out: list[Hypothesis] = []
    for street, m in context.streets:
        factor, reasons, conflicts = resolver.check_entry(street, context)
        out.append(Hypothesis(level="street", entry=street, mentions=_adjacent(mentions, [m]), how=_how(m, street),
                              confidence=HOW_CONFIDENCE[_how(m, street)] * LEVEL_FACTOR["street"] * factor,
                              reasons=[f"识别到街道/镇「{street.name}」", *reasons], conflicts=conflicts))
    best = _best_division(resolver, context)
    if best is not None and not context.streets:
        division, used = best
        level = division.level
        out.append(Hypothesis(level=level, division=division, mentions=_adjacent(mentions, used), how="name",
                              confidence=0.95 * LEVEL_FACTOR[level],
                              reasons=[f"识别到行政区划：{division.name}（{division.code}）"]))
    return out


def _best_division(resolver: LocationResolver, context: _Context) -> tuple[Division, list[Mention]] | None:
    """The deepest division whose said ancestors agree with it (广州 + 天河区 → 440106)."""
    if not context.divisions:
        return None
    said = {d.code for d, _ in context.divisions}
    best: tuple[int, int, Division] | None = None
    for division, _ in context.divisions:
        support = sum(1 for code in said if division.code.startswith(code) and code != division.code)
        clash = sum(1 for code in said if not (division.code.startswith(code) or code.startswith(division.code)))
        key = (support - clash, len(division.code))
        if best is None or key > best[:2]:
            best = (key[0], key[1], division)
    assert best is not None
    chosen = best[2]
    used = [m for d, m in context.divisions if chosen.code.startswith(d.code)]
    return chosen, used


HYPOTHESIS_BUILDERS: tuple[Builder, ...] = (build_intersections, build_local, build_unknown, build_admin)


def _dedupe(places: list[Place]) -> list[Place]:
    seen: set[str] = set()
    out = []
    for place in places:
        if place.normalized not in seen:
            seen.add(place.normalized)
            out.append(place)
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
